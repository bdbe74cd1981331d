/** The dashboard's sign-in (`/ui/api/session`): the request that makes a session and the state GET reports. */
import { z } from "@hono/zod-openapi";
import { Timestamp } from "./common.js";

export const SessionSignInSchema = z.strictObject({ master_key: z.string().min(1).max(4096).openapi({ description: "The gateway's master key" }) }).openapi("SessionSignIn");

export const SignedInSchema = z
  .strictObject({
    signed_in: z.literal(true),
    csrf_token: z.string().openapi({ description: "Send as `x-csrf-token` on every state-changing call made with the session cookie, and on sign-out" }),
    expires_at: Timestamp.openapi({ description: "The session ends then however active (12 hours after sign-in)" }),
    idle_expires_at: Timestamp.openapi({ description: "The session ends then if unused from now on (30 minutes idle, never past expires_at)" }),
  })
  .openapi("SignedIn");

export const SignedOutSchema = z.strictObject({ signed_in: z.literal(false) }).openapi("SignedOut");

export const SessionStateSchema = z.union([SignedInSchema, SignedOutSchema]).openapi("SessionState");

export type SessionState = z.infer<typeof SessionStateSchema>;

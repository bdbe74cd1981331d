// Tools declared with a zod schema and run by the library: the model calls get_weather, the
// library executes it and sends the result back, and the model answers.
import { z } from "zod";
import { completion, tool } from "switchboard";

const r = await completion({
  model: "mock:mock-1",
  messages: [{ role: "user", content: "What is the weather in Paris?" }],
  tools: {
    get_weather: tool({
      description: "Current weather for a city",
      parameters: z.object({ city: z.string() }),
      execute: async ({ city }) => ({ city, temperature_c: 21, sky: "clear" }),
    }),
  },
});
console.log(r.choices[0].message.content);

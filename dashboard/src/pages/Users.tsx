/** Users: list (optionally of one team), create, edit, block or unblock, delete. */
import { SubjectsPage, type SubjectKind, type SubjectObject } from "./Subjects";

interface UserObject extends SubjectObject {
  user_id: string;
  alias: string | null;
}

const USERS: SubjectKind<UserObject> = {
  title: "Users",
  noun: "user",
  path: "/v1/users",
  id: (u) => u.user_id,
  idField: "user_id",
  name: { label: "Alias", field: "alias", value: (u) => u.alias },
  withTeam: true,
};

export function Users() {
  return <SubjectsPage kind={USERS} />;
}

/** Teams: list, create, edit, block or unblock, delete. */
import { SubjectsPage, type SubjectKind, type SubjectObject } from "./Subjects";

interface TeamObject extends SubjectObject {
  team_id: string;
  name: string | null;
}

const TEAMS: SubjectKind<TeamObject> = {
  title: "Teams",
  noun: "team",
  path: "/v1/teams",
  id: (t) => t.team_id,
  idField: "team_id",
  name: { label: "Name", field: "name", value: (t) => t.name },
};

export function Teams() {
  return <SubjectsPage kind={TEAMS} />;
}

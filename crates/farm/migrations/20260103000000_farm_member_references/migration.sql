-- References to users from tenant tables point at a member of the same
-- farm: (farm_id, user) -> farm_users (farm_id, user_id), which also
-- proves the user exists. A task could otherwise be given to someone of
-- another farm. When a member is removed from a farm, their tasks and
-- quality checks stay, with no one on them: ON DELETE SET NULL of the user
-- column only (PostgreSQL 15's column list), never of farm_id.
-- Added NOT VALID, then validated: the check of existing rows does not
-- block writes (`dbguard validate` lists rows that would fail it).
SET LOCAL ROLE farm_owner;
SET LOCAL lock_timeout = '5s';

ALTER TABLE tasks ADD CONSTRAINT tasks_assignee_member_fkey
  FOREIGN KEY (farm_id, assignee_id) REFERENCES farm_users (farm_id, user_id) ON DELETE SET NULL (assignee_id) NOT VALID;
ALTER TABLE tasks VALIDATE CONSTRAINT tasks_assignee_member_fkey;
-- dbguard-ignore drop-constraint: replaced by tasks_assignee_member_fkey (a member is a user)
ALTER TABLE tasks DROP CONSTRAINT tasks_assignee_id_fkey;

ALTER TABLE quality_checks ADD CONSTRAINT quality_checks_checker_member_fkey
  FOREIGN KEY (farm_id, checked_by) REFERENCES farm_users (farm_id, user_id) ON DELETE SET NULL (checked_by) NOT VALID;
ALTER TABLE quality_checks VALIDATE CONSTRAINT quality_checks_checker_member_fkey;
-- dbguard-ignore drop-constraint: replaced by quality_checks_checker_member_fkey (a member is a user)
ALTER TABLE quality_checks DROP CONSTRAINT quality_checks_checked_by_fkey;
-- Removing a member finds their checks through this index.
CREATE INDEX quality_checks_checker_idx ON quality_checks (farm_id, checked_by);

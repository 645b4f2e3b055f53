-- References to users from tenant tables point at a member of the same
-- farm: (farm_id, user) -> farm_users (farm_id, user_id), which also
-- proves the user exists. A task could otherwise be given to someone of
-- another farm. When a member is removed from a farm, their tasks and
-- quality checks stay, with no one on them: ON DELETE SET NULL of the user
-- column only (PostgreSQL 15's column list), never of farm_id.
-- Added NOT VALID, then validated: the check of existing rows does not
-- block writes (`dbguard validate` lists rows that would fail it). The
-- older single-column references to users stay: redundant (a member is a
-- user), and dropping a constraint is a step for a person to approve,
-- which would stop `dbguard up` on every new database. As before, they
-- refuse deleting a user who is still assigned: remove the user from their
-- farms first, which clears their tasks and checks.
SET LOCAL ROLE farm_owner;
SET LOCAL lock_timeout = '5s';

ALTER TABLE tasks ADD CONSTRAINT tasks_assignee_member_fkey
  FOREIGN KEY (farm_id, assignee_id) REFERENCES farm_users (farm_id, user_id) ON DELETE SET NULL (assignee_id) NOT VALID;
ALTER TABLE tasks VALIDATE CONSTRAINT tasks_assignee_member_fkey;

ALTER TABLE quality_checks ADD CONSTRAINT quality_checks_checker_member_fkey
  FOREIGN KEY (farm_id, checked_by) REFERENCES farm_users (farm_id, user_id) ON DELETE SET NULL (checked_by) NOT VALID;
ALTER TABLE quality_checks VALIDATE CONSTRAINT quality_checks_checker_member_fkey;
-- Removing a member finds the rows to clear through the indexes leading
-- with farm_id (tasks_assignee_idx; quality_checks_batch_idx narrows to the farm).

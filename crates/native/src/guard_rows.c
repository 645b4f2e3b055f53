/*
 * dbguard's row guard, in C, for dbguard's own PostgreSQL server.
 *
 * The same rule as dbguard.guard_rows() in PL/pgSQL (crates/guard/src/
 * protect/guards.sql), which every other server runs: an AFTER DELETE or
 * AFTER UPDATE statement trigger, with the statement's old rows as its
 * transition table, that counts the rows of each client command (the
 * statements that ON DELETE CASCADE runs, those of a DO block and those of
 * one multi-statement string add up) and, past the limit the trigger's
 * one argument gives, calls dbguard.rows_over_limit(), which lets the
 * statement through when the session holds a window for it and refuses it
 * otherwise.
 *
 * Why C: the PL/pgSQL guard runs a query (count(*) over the transition
 * table) and rewrites a setting on every UPDATE and DELETE; here the count
 * is tuplestore_tuple_count(), and the running count lives in this
 * backend's memory, which no SQL can read or reset (the PL/pgSQL guard's
 * setting can be emptied by SQL between two statements of a command).
 *
 * A client command is named by the statement's start timestamp
 * (statement_timestamp(), set anew for every message from the client), and
 * by nothing else: a procedure that commits between its statements (CALL,
 * or a DO block, with COMMIT inside) is still one client command, and its
 * rows add up across its transactions.
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

PG_MODULE_MAGIC;

/* The command being counted, and its rows so far. */
static TimestampTz counted_command = 0;
static int64 counted_rows = 0;

PG_FUNCTION_INFO_V1(dbguard_guard_rows);

/* The trigger's argument: the rows one command may touch (at least 1). */
static int64
row_limit(Trigger *trigger)
{
	char	   *end;
	long long	limit;

	if (trigger->tgnargs != 1)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("dbguard refused: trigger %s has no row limit; the guard cannot check the statement",
						trigger->tgname)));
	errno = 0;
	limit = strtoll(trigger->tgargs[0], &end, 10);
	if (errno != 0 || *end != '\0' || end == trigger->tgargs[0] || limit < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("dbguard refused: trigger %s has an unreadable row limit \"%s\"; the guard cannot check the statement",
						trigger->tgname, trigger->tgargs[0])));
	return (int64) limit;
}

/* Hands a statement past the limit to dbguard.rows_over_limit(). */
static void
over_limit(TriggerData *trigdata, int64 rows, int64 total)
{
	Oid			types[4] = {TEXTOID, OIDOID, INT8OID, INT8OID};
	Datum		values[4];
	int			ret;

	values[0] = CStringGetTextDatum(TRIGGER_FIRED_BY_DELETE(trigdata->tg_event) ? "DELETE" : "UPDATE");
	values[1] = ObjectIdGetDatum(RelationGetRelid(trigdata->tg_relation));
	values[2] = Int64GetDatum(rows);
	values[3] = Int64GetDatum(total);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "dbguard refused: the row guard could not connect to SPI");
	ret = SPI_execute_with_args("SELECT dbguard.rows_over_limit($1, $2, $3, $4)",
								4, types, values, NULL, false, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "dbguard refused: the row guard could not check the statement (SPI result %d)", ret);
	SPI_finish();
}

Datum
dbguard_guard_rows(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	TimestampTz command = GetCurrentStatementStartTimestamp();
	int64		limit;
	int64		rows;

	if (!CALLED_AS_TRIGGER(fcinfo)
		|| !TRIGGER_FIRED_AFTER(trigdata->tg_event)
		|| !TRIGGER_FIRED_FOR_STATEMENT(trigdata->tg_event)
		|| !(TRIGGER_FIRED_BY_DELETE(trigdata->tg_event) || TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
		|| trigdata->tg_oldtable == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("dbguard.guard_rows() runs only as an AFTER DELETE or AFTER UPDATE statement trigger with an old transition table")));
	limit = row_limit(trigdata->tg_trigger);
	rows = (int64) tuplestore_tuple_count(trigdata->tg_oldtable);
	if (command != counted_command)
	{
		counted_command = command;
		counted_rows = 0;
	}
	counted_rows += rows;
	if (counted_rows > limit)
		over_limit(trigdata, rows, counted_rows);
	return PointerGetDatum(NULL);
}

/*
 * dbguard's row guard, in C, for dbguard's own PostgreSQL server.
 *
 * The same rule as dbguard.guard_rows() in PL/pgSQL (crates/guard/src/
 * protect/guards.sql), which every other server runs: the rows that one
 * client command deletes or updates in guarded tables add up (the
 * statements that ON DELETE CASCADE runs, those of a function, a DO block
 * or a procedure, and those of one multi-statement string), and past the
 * table's limit dbguard.rows_over_limit() lets the command through when
 * the session holds a window for it and refuses it otherwise.
 *
 * Why executor hooks and not a trigger that counts: PostgreSQL tells a
 * statement trigger how many rows its statement changed only through a
 * transition table, and filling one (a copy of every old row, and an
 * AFTER trigger event queued for each statement) costs every UPDATE and
 * DELETE more than the goal of a few per cent; a row trigger costs more
 * still (a BEFORE UPDATE row trigger locks each row first). The executor
 * already counts the rows a statement changed (es_processed, MERGE's own
 * counters), so this module reads them at the end of each statement, from
 * ExecutorFinish_hook, at no cost per row.
 *
 * Which tables are guarded, and their limits, the tables say themselves:
 * `protect` puts on each a BEFORE DELETE and a BEFORE UPDATE statement
 * trigger named dbguard_delete and dbguard_update, calling this module's
 * dbguard_guard_rows() with the limit as argument (dbguard's event
 * triggers keep any other trigger from taking those names). The hook
 * reads them from the statement's result relations; the trigger function
 * itself only checks its own definition, and that the hooks were in place
 * before the client command began.
 *
 * Rows a statement changes that es_processed does not count are counted
 * from its plan's row instrumentation, which the ExecutorStart hook asks
 * for: a data-modifying WITH clause (the rows its ModifyTable's input
 * produced), a statement a rule added (it does not set the command tag),
 * an UPDATE of a partitioned table (rows it moves to another partition),
 * and INSERT ... ON CONFLICT DO UPDATE (its conflicting rows, which it
 * updates).
 *
 * dbguard's server loads the module into every session as it starts
 * (session_preload_libraries). A session that did not (a superuser may
 * say so) loads it when a guard trigger first fires, in the middle of a
 * statement whose start, and perhaps whose end, the hooks missed: that
 * client command is refused, and the session's later ones are counted.
 *
 * A client command is named by the statement's start timestamp
 * (statement_timestamp(), set anew for every message from the client),
 * and by nothing else: a procedure that commits between its statements is
 * still one client command, and its rows add up across its transactions.
 * The running count lives in this backend's memory, which no SQL can read
 * or reset.
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "executor/instrument.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "nodes/execnodes.h"
#include "nodes/plannodes.h"
#include "utils/builtins.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/* The hooks this module chains to. */
static ExecutorStart_hook_type prev_executor_start = NULL;
static ExecutorFinish_hook_type prev_executor_finish = NULL;

/* The client command during which this module was loaded, if any. */
static TimestampTz loaded_during = 0;

/* The command being counted, and its rows so far. */
static TimestampTz counted_command = 0;
static int64 counted_rows = 0;

/* No limit found: the statement touched no guarded table. */
#define NO_GUARD (-1)

PG_FUNCTION_INFO_V1(dbguard_guard_rows);

static void
refuse_uncounted(const char *why)
{
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("dbguard refused: %s; the row guard cannot check the statement", why)));
}

/* A guard trigger's argument: the rows one command may touch (at least 1). */
static int64
row_limit(Trigger *trigger)
{
	char	   *end;
	long long	limit;

	if (trigger->tgnargs != 1)
		refuse_uncounted(psprintf("trigger %s has no row limit", trigger->tgname));
	errno = 0;
	limit = strtoll(trigger->tgargs[0], &end, 10);
	if (errno != 0 || *end != '\0' || end == trigger->tgargs[0] || limit < 1)
		refuse_uncounted(psprintf("trigger %s has an unreadable row limit \"%s\"",
								  trigger->tgname, trigger->tgargs[0]));
	return (int64) limit;
}

/* The lowest limit of `rel`'s guard triggers for `op`, or NO_GUARD. */
static int64
relation_limit(ResultRelInfo *rel, CmdType op)
{
	TriggerDesc *triggers;
	int64		lowest = NO_GUARD;
	int			i;

	if (rel == NULL || (triggers = rel->ri_TrigDesc) == NULL)
		return NO_GUARD;
	for (i = 0; i < triggers->numtriggers; i++)
	{
		Trigger    *trigger = &triggers->triggers[i];
		bool		deletes = strcmp(trigger->tgname, "dbguard_delete") == 0;
		bool		updates = strcmp(trigger->tgname, "dbguard_update") == 0;
		int64		limit;

		if (!((deletes && (op == CMD_DELETE || op == CMD_MERGE))
			  || (updates && (op == CMD_UPDATE || op == CMD_MERGE || op == CMD_INSERT))))
			continue;
		limit = row_limit(trigger);
		if (lowest == NO_GUARD || limit < lowest)
			lowest = limit;
	}
	return lowest;
}

/* The lowest limit of the tables a ModifyTable node changes, or NO_GUARD. */
static int64
statement_limit(ModifyTableState *mt)
{
	int64		lowest = relation_limit(mt->rootResultRelInfo, mt->operation);
	int			i;

	for (i = 0; i < mt->mt_nrels; i++)
	{
		int64		limit = relation_limit(&mt->resultRelInfo[i], mt->operation);

		if (limit != NO_GUARD && (lowest == NO_GUARD || limit < lowest))
			lowest = limit;
	}
	return lowest;
}

/* Hands rows past the limit to dbguard.rows_over_limit(). */
static void
over_limit(const char *kind, Oid relid, int64 rows, int64 total)
{
	Oid			types[4] = {TEXTOID, OIDOID, INT8OID, INT8OID};
	Datum		values[4];
	int			ret;

	values[0] = CStringGetTextDatum(kind);
	values[1] = ObjectIdGetDatum(relid);
	values[2] = Int64GetDatum(rows);
	values[3] = Int64GetDatum(total);
	if (SPI_connect() != SPI_OK_CONNECT)
		refuse_uncounted("the row guard could not connect to SPI");
	ret = SPI_execute_with_args("SELECT dbguard.rows_over_limit($1, $2, $3, $4)",
								4, types, values, NULL, false, 0);
	if (ret != SPI_OK_SELECT)
		refuse_uncounted(psprintf("the row guard's check failed (SPI result %d)", ret));
	SPI_finish();
}

/* Adds `rows` to the command's count; past `limit`, over_limit(). */
static void
count_rows(ModifyTableState *mt, const char *kind, int64 limit, double rows)
{
	TimestampTz command = GetCurrentStatementStartTimestamp();
	ResultRelInfo *target = mt->rootResultRelInfo ? mt->rootResultRelInfo : mt->resultRelInfo;

	if (rows <= 0)
		return;
	if (command != counted_command)
	{
		counted_command = command;
		counted_rows = 0;
	}
	counted_rows += (int64) rows;
	if (counted_rows > limit)
		over_limit(kind, RelationGetRelid(target->ri_RelationDesc), (int64) rows, counted_rows);
}

/* The rows a ModifyTable node's input produced: each one it changes. */
static double
input_rows(ModifyTableState *mt, const char *what)
{
	Instrumentation *instrument = outerPlanState(mt) ? outerPlanState(mt)->instrument : NULL;

	if (instrument == NULL)
		refuse_uncounted(psprintf("the rows of %s were not counted", what));
	return instrument->ntuples + instrument->tuplecount;
}

/*
 * Whether ModifyTable `plan` is an UPDATE of a partitioned table, which
 * can move rows between partitions: a move deletes the old row without
 * counting it and counts only the new row's insert, which a BEFORE INSERT
 * row trigger of the destination can drop, so es_processed can say 0 for
 * rows that are gone. Its rows are counted from its input as well.
 */
static bool
moves_rows(ModifyTable *plan)
{
	return plan->operation == CMD_UPDATE && plan->rootRelation != 0;
}

/*
 * Counts what ModifyTable node `mt` deleted or updated in guarded tables;
 * `processed` is the statement's es_processed, which only the node that
 * sets the command tag counts into.
 */
static void
count_node(ModifyTableState *mt, uint64 processed)
{
	int64		limit;

	/* A plain INSERT changes no row: no need to look for its guards. */
	if (mt->operation == CMD_INSERT
		&& ((ModifyTable *) mt->ps.plan)->onConflictAction != ONCONFLICT_UPDATE)
		return;
	limit = statement_limit(mt);
	if (limit == NO_GUARD)
		return;
	switch (mt->operation)
	{
		case CMD_DELETE:
			count_rows(mt, "DELETE", limit, mt->canSetTag ? (double) processed : input_rows(mt, "a DELETE in a WITH clause or a rule"));
			break;
		case CMD_UPDATE:
			if (!mt->canSetTag)
				count_rows(mt, "UPDATE", limit, input_rows(mt, "an UPDATE in a WITH clause or a rule"));
			else if (moves_rows((ModifyTable *) mt->ps.plan))
				count_rows(mt, "UPDATE", limit, Max((double) processed, input_rows(mt, "an UPDATE of a partitioned table")));
			else
				count_rows(mt, "UPDATE", limit, (double) processed);
			break;
		case CMD_MERGE:
			count_rows(mt, "UPDATE", limit, mt->mt_merge_updated);
			count_rows(mt, "DELETE", limit, mt->mt_merge_deleted);
			break;
		case CMD_INSERT:
			/* ON CONFLICT DO UPDATE: its conflicting rows, which it updates. */
			if (mt->ps.instrument == NULL)
				refuse_uncounted("the rows INSERT ... ON CONFLICT DO UPDATE updated were not counted");
			count_rows(mt, "UPDATE", limit, mt->ps.instrument->ntuples2);
			break;
		default:
			break;
	}
}

/* Whether statement `stmt` changes rows that es_processed does not count. */
static bool
needs_row_counts(PlannedStmt *stmt)
{
	if (stmt->hasModifyingCTE)
		return true;
	if (stmt->planTree && IsA(stmt->planTree, ModifyTable) && moves_rows((ModifyTable *) stmt->planTree))
		return true;
	if (stmt->commandType == CMD_UPDATE || stmt->commandType == CMD_DELETE)
		return !stmt->canSetTag;
	if (stmt->commandType == CMD_INSERT && stmt->planTree && IsA(stmt->planTree, ModifyTable))
		return ((ModifyTable *) stmt->planTree)->onConflictAction == ONCONFLICT_UPDATE;
	return false;
}

static void
guard_executor_start(QueryDesc *queryDesc, int eflags)
{
	if (!(eflags & EXEC_FLAG_EXPLAIN_ONLY) && needs_row_counts(queryDesc->plannedstmt))
		queryDesc->instrument_options |= INSTRUMENT_ROWS;
	if (prev_executor_start)
		prev_executor_start(queryDesc, eflags);
	else
		standard_ExecutorStart(queryDesc, eflags);
}

static void
guard_executor_finish(QueryDesc *queryDesc)
{
	EState	   *estate = queryDesc->estate;
	PlanState  *top = queryDesc->planstate;
	ListCell   *cell;

	/*
	 * The statement's own rows, before the cascades it runs as it ends; a
	 * ModifyTable node that does not set the command tag is among the
	 * auxiliary ones, counted after.
	 */
	if (top != NULL && IsA(top, ModifyTableState) && ((ModifyTableState *) top)->canSetTag)
		count_node((ModifyTableState *) top, estate->es_processed);
	if (prev_executor_finish)
		prev_executor_finish(queryDesc);
	else
		standard_ExecutorFinish(queryDesc);
	/* WITH clauses' and rules' changes, which ExecutorFinish completes. */
	foreach(cell, estate->es_auxmodifytables)
		count_node((ModifyTableState *) lfirst(cell), 0);
}

void
_PG_init(void)
{
	if (IsTransactionState())
		loaded_during = GetCurrentStatementStartTimestamp();
	prev_executor_start = ExecutorStart_hook;
	ExecutorStart_hook = guard_executor_start;
	prev_executor_finish = ExecutorFinish_hook;
	ExecutorFinish_hook = guard_executor_finish;
}

/*
 * The guard triggers' function: BEFORE DELETE or BEFORE UPDATE, once per
 * statement, with the limit as its one argument. It checks that it is
 * defined so; the hooks do the counting.
 */
Datum
dbguard_guard_rows(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo)
		|| !TRIGGER_FIRED_BEFORE(trigdata->tg_event)
		|| !TRIGGER_FIRED_FOR_STATEMENT(trigdata->tg_event)
		|| !(TRIGGER_FIRED_BY_DELETE(trigdata->tg_event) || TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event)))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("dbguard.guard_rows() runs only as a BEFORE DELETE or BEFORE UPDATE statement trigger")));
	(void) row_limit(trigdata->tg_trigger);
	if (loaded_during != 0 && loaded_during == GetCurrentStatementStartTimestamp())
		refuse_uncounted("the row guard was loaded while this command ran, after it began");
	return PointerGetDatum(NULL);
}

"""PostgreSQL's one-statement claim and submit, used by jobs.services.dispatch: the SQL
text (built once from the models' tables and columns) and turning its row back into
model instances (marketplace.db runs it as a prepared statement)."""

from functools import cache

from jobs.models import (
    HIT,
    MAX_GOLD_RATE,
    OPEN_HIT_STATUSES,
    Assignment,
    AssignmentStatus,
    DataObject,
    HITStatus,
    JobWorker,
    LabelingJob,
)
from marketplace.db import attnames, columns, from_row
from workforce.eligibility import jobs_open_to_worker_sql

# What the one-statement claim returns besides the assignment: the HIT and job whole, and
# the data object's columns a task needs (its label columns stay unread).
DATA_OBJECT_TASK_FIELDS = ("id", "job_id", "line_number", "data")


@cache
def claim_sql(*, one_job: bool, with_job: bool) -> str:
    """The claim as one PostgreSQL statement: pick the oldest open HIT the worker may take
    and has not had (FOR NO KEY UPDATE SKIP LOCKED, as the queryset path), move its
    counters and insert the assignment; return them with the worker's count of submits in
    the job (the task body shows it), the HIT's data object and (unless the caller has it)
    the HIT's job.

    Why raw SQL: building and compiling the equivalent querysets (with the eligibility
    Exists subqueries) cost about 10 ms of CPU per claim against well under 1 ms for this
    statement, and one statement is one round trip that needs no BEGIN/COMMIT. The
    filters must stay those of _claimable_hits plus jobs_open_to_worker; the verified-email
    rule is a filter too, so a worker without one gets nothing here and the caller's
    fallback raises the proper error.

    The plan must not hinge on statistics, which lag behind a job's launch (thousands of
    HITs at once) and a new site's first assignments: the eligible job ids are computed
    once (ARRAY(...) is an InitPlan), and the "had it before" test stays a per-HIT probe
    by hit_id (OFFSET 0 keeps it from being turned into a join; "+ 0" keeps the planner
    from walking the worker's whole history through a worker index instead).

    Gold questions (jobs.services.gold) come first when the worker's last submit in a job
    drew one (JobWorker.next_gold): the gold pick takes the least shown gold HIT of such a
    job that the worker never had; only when it finds none does the normal pick run (its
    NOT EXISTS on the gold pick is a one-time filter, and PostgreSQL evaluates CTEs on
    demand, in the order the UNION ALL reads them). Claiming in a job whose gold was due
    clears the flag. A worker with no gold due pays one probe of the partial index
    job_worker_next_gold (no row) and nothing else for gold.
    """
    hit, assignment = HIT._meta.db_table, Assignment._meta.db_table
    job, data_object = LabelingJob._meta.db_table, DataObject._meta.db_table
    job_worker = JobWorker._meta.db_table
    open_jobs = f"ARRAY({jobs_open_to_worker_sql()})"
    verified_email = """
            AND EXISTS (
              SELECT 1 FROM account_emailaddress address
              WHERE address.user_id = %(user)s AND UPPER(address.email) = UPPER(%(email)s)
                AND address.verified
            )"""
    # Only table names and constants are formatted in; every value is a parameter.
    return f"""
        WITH due AS MATERIALIZED (
          -- Uses index: job_worker_next_gold (worker, job) WHERE next_gold: the jobs whose
          -- last submit drew a gold question for this worker (no row for most claims,
          -- and then nothing below reads a gold HIT or computes eligibility for them).
          SELECT due_standing.job_id FROM {job_worker} due_standing
          WHERE due_standing.worker_id = %(worker)s AND due_standing.next_gold
            {"AND due_standing.job_id = %(job)s" if one_job else ""}
        ),
        gold_pick AS (
          -- Uses index: hit_gold_open (job, id) WHERE status = 'Assignable' AND is_gold;
          -- least shown first rotates a large pool; each gold HIT once per worker.
          SELECT gold_hit.id FROM {hit} gold_hit
          WHERE EXISTS (SELECT 1 FROM due)
            AND gold_hit.job_id IN (SELECT due.job_id FROM due)
            AND gold_hit.status = '{HITStatus.ASSIGNABLE}' AND gold_hit.is_gold
            AND gold_hit.expires_at > %(now)s
            AND gold_hit.job_id = ANY ({open_jobs})
            AND NOT EXISTS (
              SELECT 1 FROM {assignment} had
              WHERE had.hit_id = gold_hit.id AND had.worker_id + 0 = %(worker)s
              OFFSET 0
            ){verified_email}
          ORDER BY gold_hit.assignments_completed + gold_hit.assignments_pending, gold_hit.id
          LIMIT 1
          FOR NO KEY UPDATE OF gold_hit SKIP LOCKED
        ),
        normal_pick AS (
          -- Uses index: hit_open_by_job (job, id) WHERE status = 'Assignable', in order;
          -- the NOT EXISTS probes assignment_once_per_worker (hit, worker). Only when the
          -- gold pick found nothing (a one-time filter on its materialized row), so a gold
          -- claim locks no second HIT.
          SELECT open_hit.id FROM {hit} open_hit
          WHERE NOT EXISTS (SELECT 1 FROM gold_pick)
            AND open_hit.status = '{HITStatus.ASSIGNABLE}' AND NOT open_hit.is_gold
            AND open_hit.expires_at > %(now)s
            {"AND open_hit.job_id = %(job)s" if one_job else ""}
            AND open_hit.job_id = ANY ({open_jobs})
            AND NOT EXISTS (
              -- "+ 0": the probe goes by the HIT (a handful of rows), never by the worker.
              SELECT 1 FROM {assignment} had
              WHERE had.hit_id = open_hit.id AND had.worker_id + 0 = %(worker)s
              OFFSET 0
            ){verified_email}
          ORDER BY open_hit.job_id, open_hit.id
          LIMIT 1
          FOR NO KEY UPDATE SKIP LOCKED
        ),
        picked AS (
          SELECT id FROM gold_pick UNION ALL SELECT id FROM normal_pick
        ),
        taken AS (
          UPDATE {hit} taken_hit
          SET assignments_pending = taken_hit.assignments_pending + 1,
              status = CASE
                WHEN taken_hit.assignments_pending + 1 + taken_hit.assignments_completed
                     >= taken_hit.max_assignments
                THEN '{HITStatus.UNASSIGNABLE}' ELSE taken_hit.status END,
              updated_at = %(now)s
          FROM picked WHERE taken_hit.id = picked.id
          RETURNING taken_hit.*
        ),
        created AS (
          INSERT INTO {assignment}
            (assignment_id, hit_id, worker_id, status, accepted_at, deadline,
             requester_feedback, created_at, updated_at)
          SELECT %(assignment_id)s, taken.id, %(worker)s, '{AssignmentStatus.ACCEPTED}',
                 %(now)s, %(now)s + job.task_time_limit_seconds * INTERVAL '1 second',
                 '', %(now)s, %(now)s
          FROM taken JOIN {job} job ON job.id = taken.job_id
          RETURNING id, deadline
        ),
        gold_served AS (
          -- The drawn gold question is served (or none was left for the worker in that
          -- job): the next task is drawn again at the next submit.
          UPDATE {job_worker} served
          SET next_gold = false, updated_at = %(now)s
          FROM due, taken
          WHERE due.job_id = taken.job_id
            AND served.job_id = due.job_id AND served.worker_id = %(worker)s
        )
        -- gold_served runs although nothing reads it: a data-modifying WITH always does.
        SELECT created.id, created.deadline,
               (SELECT tally.submitted FROM {job_worker} tally
                WHERE tally.job_id = taken.job_id AND tally.worker_id = %(worker)s),
               {columns(HIT, "taken")},
               {columns(DataObject, "data_object", DATA_OBJECT_TASK_FIELDS)}
               {", " + columns(LabelingJob, "job") if with_job else ""}
        FROM created, taken
        JOIN {job} job ON job.id = taken.job_id
        JOIN {data_object} data_object ON data_object.id = taken.data_object_id
    """  # noqa: S608


def claimed_hit(values, *, job: LabelingJob | None) -> HIT:
    """The HIT from a claim row's values after the assignment's id, deadline and done
    count, with its data object (the task's columns only) and its job (`job`, or the one
    in the row)."""
    values = iter(values)
    hit = from_row(HIT, attnames(HIT), _take(values, HIT))
    hit.data_object = from_row(
        DataObject, DATA_OBJECT_TASK_FIELDS, [next(values) for _ in DATA_OBJECT_TASK_FIELDS]
    )
    hit.job = job or from_row(LabelingJob, attnames(LabelingJob), list(values))
    hit.data_object.job = hit.job
    return hit


def gold_due_sql(submitted: str) -> str:
    """Whether the worker's next task is gold, after a submit that made `submitted` (SQL)
    their count in the job: the Python draw %(gold_draw)s (uniform in [0, 1)) below
    rate(n) = LEAST(0.5, gold_rate * (1 + boost * exp(-n / tasks))), the formula of
    jobs.services.gold.gold_rate_at. A job with gold_rate 0 never draws gold."""
    return (
        f"(%(gold_draw)s::float8 < LEAST({float(MAX_GOLD_RATE)}, %(gold_rate)s::float8"
        f" * (1 + %(gold_boost)s::float8 * EXP(-({submitted})::float8"
        " / %(gold_tasks)s::float8))))"
    )


@cache
def submit_sql() -> str:
    """The submit as one PostgreSQL statement, taking row locks in the services' order
    (HIT, assignment, job, then the worker's JobWorker row): store the answer, move the
    HIT's counters, lower the job's open_hits when a (non-gold) HIT closes, count the
    submit for the worker and draw whether their next task in the job is a gold question
    (gold_due_sql). Returns no row (and changes nothing) unless the assignment is this
    worker's, accepted, before its deadline, and the worker's email is verified.
    """
    hit, assignment = HIT._meta.db_table, Assignment._meta.db_table
    job, job_worker = LabelingJob._meta.db_table, JobWorker._meta.db_table
    open_statuses = ", ".join(f"'{status}'" for status in sorted(OPEN_HIT_STATUSES))
    # Only table names and constants are formatted in; every value is a parameter.
    return f"""
        WITH locked_hit AS (
          SELECT id, status AS status_before FROM {hit}
          WHERE id = %(hit)s
          FOR NO KEY UPDATE
        ),
        submitted AS (
          UPDATE {assignment} mine
          SET status = '{AssignmentStatus.SUBMITTED}', answer = %(answer)s,
              submitted_at = %(now)s, active_seconds = %(active_seconds)s,
              auto_approval_at = %(auto_approval_at)s, updated_at = %(now)s
          FROM locked_hit
          WHERE mine.id = %(assignment)s AND mine.hit_id = locked_hit.id
            AND mine.worker_id = %(worker)s AND mine.status = '{AssignmentStatus.ACCEPTED}'
            AND mine.deadline > %(now)s
            AND EXISTS (
              SELECT 1 FROM account_emailaddress address
              WHERE address.user_id = %(user)s AND UPPER(address.email) = UPPER(%(email)s)
                AND address.verified
            )
          RETURNING mine.hit_id
        ),
        moved AS (
          UPDATE {hit} moved_hit
          SET assignments_pending = moved_hit.assignments_pending - 1,
              assignments_completed = moved_hit.assignments_completed + 1,
              status = CASE
                WHEN moved_hit.assignments_completed + 1 >= moved_hit.max_assignments
                THEN '{HITStatus.REVIEWABLE}' ELSE moved_hit.status END,
              updated_at = %(now)s
          FROM submitted WHERE moved_hit.id = submitted.hit_id
          RETURNING moved_hit.*
        ),
        closed AS (
          -- The HIT left the open states: the job has one open HIT fewer.
          UPDATE {job} closing_job
          SET open_hits = closing_job.open_hits - 1, updated_at = %(now)s
          FROM moved, locked_hit
          WHERE closing_job.id = moved.job_id AND closing_job.open_hits > 0
            AND locked_hit.status_before IN ({open_statuses})
            AND moved.status NOT IN ({open_statuses}) AND NOT moved.is_gold
          RETURNING closing_job.status, closing_job.open_hits,
                    closing_job.max_concurrent_tasks
        ),
        tallied AS (
          -- The submit also draws whether the worker's next task in the job is gold.
          INSERT INTO {job_worker}
            (job_id, worker_id, submitted, next_gold, created_at, updated_at)
          SELECT moved.job_id, %(worker)s, 1, {gold_due_sql("1")}, %(now)s, %(now)s
          FROM moved
          ON CONFLICT (job_id, worker_id) DO UPDATE
          SET submitted = {job_worker}.submitted + 1,
              next_gold = {gold_due_sql(f"{job_worker}.submitted + 1")},
              updated_at = EXCLUDED.updated_at
        )
        -- tallied runs although nothing reads it: a data-modifying WITH always does.
        SELECT closed.status, closed.open_hits, closed.max_concurrent_tasks,
               {columns(HIT, "moved")}
        FROM moved LEFT JOIN closed ON true
    """  # noqa: S608


@cache
def worker_assignment_sql(*, by_public_id: bool, with_data: bool) -> str:
    """One of a worker's own assignments by its public id or row id, with its HIT, job and
    (with `with_data`) the data object's task columns: selectors'
    assignment_access_for_worker, run on every submit."""
    hit, assignment = HIT._meta.db_table, Assignment._meta.db_table
    job, data_object = LabelingJob._meta.db_table, DataObject._meta.db_table
    data_columns = columns(DataObject, "data_object", DATA_OBJECT_TASK_FIELDS)
    data_join = f"JOIN {data_object} data_object ON data_object.id = hit.data_object_id"
    # Only table names and constants are formatted in; every value is a parameter.
    return f"""
        SELECT {columns(Assignment, "mine")}, {columns(HIT, "hit")},
               {columns(LabelingJob, "job")} {", " + data_columns if with_data else ""}
        FROM {assignment} mine
        JOIN {hit} hit ON hit.id = mine.hit_id
        JOIN {job} job ON job.id = hit.job_id
        {data_join if with_data else ""}
        WHERE mine.worker_id = %(worker)s
          AND mine.{"assignment_id" if by_public_id else "id"} = %(id)s
    """  # noqa: S608


def worker_assignment(values, *, with_data: bool) -> Assignment:
    """The assignment (with HIT, job and maybe data object) from worker_assignment_sql's row."""
    values = iter(values)
    assignment = from_row(Assignment, attnames(Assignment), _take(values, Assignment))
    hit = from_row(HIT, attnames(HIT), _take(values, HIT))
    hit.job = from_row(LabelingJob, attnames(LabelingJob), _take(values, LabelingJob))
    if with_data:
        hit.data_object = from_row(
            DataObject, DATA_OBJECT_TASK_FIELDS, [next(values) for _ in DATA_OBJECT_TASK_FIELDS]
        )
        hit.data_object.job = hit.job
    assignment.hit = hit
    return assignment


def _take(values, model) -> list:
    return [next(values) for _ in attnames(model)]

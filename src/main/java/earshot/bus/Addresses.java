package earshot.bus;

/**
 * Every event-bus address in Earshot, and the only place address strings are built. Message shapes are documented
 * on the message records in this package; commands use request/reply with a timeout, events use publish.
 */
public final class Addresses {
  private Addresses() {}

  /** Request {@link SubmitJob} → reply {@link Submitted}. Handled by the scheduler. */
  public static final String JOBS_SUBMIT = "earshot.jobs.submit";
  /** Request {@link GetJob} → reply job JSON ({@code earshot.jobs.Job#toJson}) plus {@code queue_position}; 404. */
  public static final String JOBS_GET = "earshot.jobs.get";
  /**
   * Request {@link JobStatuses} {@code {uuids}} → reply {@code {statuses: {uuid: status}}}, a job absent when there is
   * none; answered by the job readers. The artifact store's orphan sweep asks it for the jobs whose objects it finds.
   */
  public static final String JOBS_STATUSES = "earshot.jobs.statuses";
  /**
   * Batches ({@link Batch}) of {@link #JOBS_SUBMIT} and {@link #JOBS_GET} items, answered by the same handlers; the
   * HTTP API sends its hot requests this way through a {@link Coalescer}.
   */
  public static final String JOBS_SUBMIT_BATCH = "earshot.jobs.submit.batch";
  public static final String JOBS_GET_BATCH = "earshot.jobs.get.batch";
  /** Request {@link ListJobs} → reply {@code {jobs, next_cursor}}. */
  public static final String JOBS_LIST = "earshot.jobs.list";
  /** Request {@link JobSummary} → reply {@code {counts_by_status, total, owner_user_id}}. */
  public static final String JOBS_SUMMARY = "earshot.jobs.summary";
  /** Request (empty body) → reply {@code {queues: [QueueStats], store: {kind, status}}}. */
  public static final String JOBS_QUEUE_STATS = "earshot.jobs.queue.stats";
  /**
   * Request {@link RetryJob} → reply job JSON; fails 404, 409 unless the job failed or was cancelled, or 429 (message:
   * the {@code QuotaRefusal} JSON) when resuming after audio_convert needs minutes the owner no longer has.
   */
  public static final String JOBS_RETRY = "earshot.jobs.retry";
  /** Request {@link CancelJob} → reply job JSON; fails 404 or 409. */
  public static final String JOBS_CANCEL = "earshot.jobs.cancel";
  /**
   * Request {@link AcquireRequest} → reply {@link AcquireReply}. A runner announces free slots; the scheduler answers
   * with leased jobs at once, or parks the request until work arrives or {@code wait_ms} passes (long poll).
   */
  public static final String JOBS_ACQUIRE = "earshot.jobs.acquire";
  /**
   * Publish {@link AcquireCancel}: a stopping runner withdraws its parked acquire request. Published, not sent: in a
   * cluster the request is parked at whichever scheduler got it, and only that one can answer it.
   */
  public static final String JOBS_ACQUIRE_CANCEL = "earshot.jobs.acquire.cancel";
  /** Request {@link HeartbeatRequest} → reply {@link HeartbeatReply}: renews the leases a runner still holds. */
  public static final String JOBS_HEARTBEAT = "earshot.jobs.heartbeat";
  /** Request {@link StageReport} → reply {@link StageReportReply}: the outcome of one stage, fenced by token. */
  public static final String JOBS_STAGE_REPORT = "earshot.jobs.stage.report";
  /** Send {@link ProgressReport}: progress 0–100 of the running stage, fenced by token. */
  public static final String JOBS_PROGRESS = "earshot.jobs.progress";
  /**
   * Request {@link RecordDelivery} → reply {@code {recorded}}: stores one webhook delivery attempt; {@code recorded}
   * is false when that attempt was already recorded (by another scheduler node). Handled by the scheduler.
   */
  public static final String JOBS_DELIVERY_RECORD = "earshot.jobs.delivery.record";
  /** Request {@link ListDeliveries} → reply {@code {deliveries: [DeliveryAttempt]}}, oldest first. */
  public static final String JOBS_DELIVERIES = "earshot.jobs.deliveries";
  /**
   * Request {@link ReadJobEvents} → reply {@code {events: [RecordedEvent]}}: the job event log, for a subscriber that
   * reconnects with {@code Last-Event-ID} or connects and needs the job's last event. Answered by the job readers.
   */
  public static final String JOBS_HISTORY = "earshot.jobs.history";
  /** Request (empty body) → reply {@link StorePing}; fails 503 when the store does not answer. */
  public static final String JOBS_PING = "earshot.jobs.ping";

  /**
   * Request {@link OwnerQuery} → reply {@link OwnerTier} {@code {user_id, tier, assigned, limits: Tier}}: the user's
   * stored tier, or the default ({@code assigned=false}). The API asks it before accepting an upload, and
   * audio_convert before decoding, for the tier's {@code max_file_minutes}.
   */
  public static final String QUOTA_TIER_GET = "earshot.quota.tier.get";
  /** Request {@link TierChange} → reply as {@link #QUOTA_TIER_GET}; fails 422 for a tier that is not configured. */
  public static final String QUOTA_TIER_SET = "earshot.quota.tier.set";
  /** Request {@link OwnerQuery} → reply {@code {owner_user_id, processing, limit}} (limit: the tier's concurrent_jobs). */
  public static final String QUOTA_OWNER_PROCESSING = "earshot.quota.owner.processing";
  /** Request (empty body) → reply {@code {owners: [{owner_user_id, counts_by_status, total}]}}, by owner id. */
  public static final String QUOTA_SUMMARY_BY_OWNER = "earshot.quota.summary.by_owner";
  /**
   * Request {@link OwnerQuery} → reply {@code {owner_user_id, tier, day, minutes_used, minutes_reserved,
   * minutes_left, resets_at, limits: Tier, active: {jobs, streams, queued}}}: today's (UTC) usage and limits.
   */
  public static final String QUOTA_USAGE = "earshot.quota.usage";

  /**
   * Request {@link StreamUsage} → reply {@link StreamUsage.Left}: a live stream's newly received seconds are added to
   * the owner's used minutes today, in the store (so every API node of a cluster counts against one budget).
   * Handled by the scheduler; fails 503 when the store does not answer.
   */
  public static final String QUOTA_STREAM_USAGE = "earshot.quota.stream.usage";

  /**
   * Request {@link StreamDecode} (a {@code Buffer} of 16 kHz pcm_f32le, parameters in headers) → reply
   * {@link StreamDecoded}: one decode pass of a live stream. Handled on the transcriber role (gpu) by
   * {@code earshot.transcribe.LiveDecoder}, whose passes take a whisper state ahead of batch windows; fails 503
   * when no state became free in time, 422 for an unknown or missing model.
   */
  public static final String STREAM_DECODE = "earshot.stream.decode";

  /** Publish {@link JobsAvailable}: a queue has new work; wakes every scheduler in the cluster. */
  public static final String JOBS_AVAILABLE = "earshot.jobs.available";
  /** Publish {@link JobAbort}: runners holding the job stop it (cancel, lease lost). */
  public static final String JOBS_ABORT = "earshot.jobs.abort";
  /**
   * Publish {@link JobEvent}: every state change and progress update of every job, after the scheduler recorded it
   * in the event log (its {@code seq}).
   */
  public static final String JOB_EVENTS = "earshot.jobs.events";
  /**
   * Publish {@link JobEvent}: the same event again when a job reaches completed, failed or cancelled, so that
   * listeners that only act on a job's end (webhooks, workspace cleanup) are not woken by every other change.
   */
  public static final String JOBS_FINISHED = "earshot.jobs.finished";

  /** Local send {@link WorkspaceCleanup}: a runner's aborted stage has stopped; its temporary files may go. */
  public static final String WORKSPACE_CLEANUP = "earshot.workspace.cleanup";

  /** Local request (empty body) → reply {@link NodeStatus}: answered by this node's start-up code. */
  public static final String NODE_STATUS = "earshot.node.status";

  /**
   * Local request {@link HoldRequest} → reply {@link HoldReply}: take a place in an owner's active jobs or streams
   * counter. Holding a holder that already holds one is granted again (idempotent). Answered by this node's
   * {@code QuotaVerticle}, also while Redis is unreachable; fails 400 on a malformed request.
   */
  public static final String QUOTA_HOLD = "earshot.quota.hold";
  /**
   * Local request {@link ReleaseHold} → reply {@code {}}: free a holder's place; releasing a holder that holds
   * nothing succeeds. Fails 400 on a malformed request.
   */
  public static final String QUOTA_RELEASE = "earshot.quota.release";
  /** Local request {@link ActiveCounts} → reply {@link ActiveCountsReply}: an owner's active job and stream counts. */
  public static final String QUOTA_ACTIVE = "earshot.quota.active";

  /**
   * Request {@link SchedulerHello} → reply {@link SchedulerHello}: a scheduler about to start in a cluster asks
   * whether one runs already, and on which store (only one scheduler may run on SQLite). Answered by every running
   * scheduler's node ({@code earshot.cluster.SchedulerRoster}).
   */
  public static final String SCHEDULERS = "earshot.cluster.schedulers";
  /**
   * Cluster-wide map ({@code SharedData.getAsyncMap}) of the live stage runners: worker id → {@link WorkerEntry},
   * each entry written again well within its time to live, so a node that dies drops out of it by itself.
   */
  public static final String WORKERS_MAP = "earshot.cluster.workers";
  /**
   * Published on this node only ({@code localOnly}), with {@code {member}} (the Hazelcast member's uuid): a cluster
   * member has left, by leaving or by missing its heartbeats ({@code earshot.cluster.MemberDepartures}). A runner
   * whose acquire request is parked sends it again at once, since the scheduler holding it may be the one gone and
   * a request to a dead node is not failed before its timeout.
   */
  public static final String MEMBER_LEFT = "earshot.cluster.member.left";

  /** Publish {@link JobEvent}s of one job only. */
  public static String jobEvents(long jobId) {
    return JOB_EVENTS + "." + jobId;
  }
}

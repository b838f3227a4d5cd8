package earshot.scheduler;

import earshot.bus.Addresses;
import earshot.bus.Failures;
import earshot.bus.JobSummary;
import earshot.bus.ListJobs;
import earshot.jobs.JobQuery;
import earshot.jobs.JobStatus;
import earshot.jobs.QueueStats;
import earshot.store.JobStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * The scheduler's read-only side: answers job listings, summaries and queue statistics from its store (single-job
 * lookups are the {@link JobReaderVerticle}'s). Registered by {@link SchedulerVerticle} on its own event loop; it
 * shares the scheduler's store and nothing else.
 */
final class JobQueries {
  private final Vertx vertx;
  private final JobStore store;
  /** Listed in the queue statistics even while they hold no job. */
  private final List<String> configuredQueues;

  JobQueries(Vertx vertx, JobStore store, List<String> configuredQueues) {
    this.vertx = vertx;
    this.store = store;
    this.configuredQueues = configuredQueues;
  }

  Future<Void> register() {
    var bus = vertx.eventBus();
    return Future.all(List.of(
        bus.<JsonObject>consumer(Addresses.JOBS_LIST, this::onList).completion(),
        bus.<JsonObject>consumer(Addresses.JOBS_SUMMARY, this::onSummary).completion(),
        bus.<JsonObject>consumer(Addresses.JOBS_QUEUE_STATS, this::onQueueStats).completion())).mapEmpty();
  }

  private void onList(Message<JsonObject> msg) {
    JobQuery q = ListJobs.fromJson(msg.body()).query();
    store.list(q)
        .onSuccess(jobs -> {
          JsonArray arr = new JsonArray();
          jobs.forEach(j -> arr.add(j.toJson()));
          Long next = jobs.size() == q.limit() && !jobs.isEmpty() ? jobs.getLast().id() : null;
          msg.reply(new JsonObject().put("jobs", arr).put("next_cursor", next));
        })
        .onFailure(err -> fail(msg, err));
  }

  private void onSummary(Message<JsonObject> msg) {
    String owner = JobSummary.fromJson(msg.body()).ownerUserId();
    store.countsByStatus(owner)
        .onSuccess(counts -> {
          JsonObject byStatus = new JsonObject();
          long total = 0;
          for (JobStatus s : JobStatus.values()) {
            long n = counts.getOrDefault(s.wireName(), 0L);
            byStatus.put(s.wireName(), n);
            total += n;
          }
          msg.reply(new JsonObject().put("counts_by_status", byStatus).put("total", total).put("owner_user_id", owner));
        })
        .onFailure(err -> fail(msg, err));
  }

  private void onQueueStats(Message<JsonObject> msg) {
    store.queueStats()
        .onSuccess(stats -> {
          JsonArray arr = new JsonArray();
          QueueStats.withConfigured(stats, configuredQueues).forEach(s -> arr.add(s.toJson()));
          msg.reply(new JsonObject().put("queues", arr)
              .put("store", new JsonObject().put("kind", store.kind()).put("status", "UP")));
        })
        .onFailure(err -> fail(msg, err));
  }

  private static void fail(Message<?> msg, Throwable err) {
    msg.fail(Failures.UNAVAILABLE, "store query failed: " + err.getMessage());
  }
}

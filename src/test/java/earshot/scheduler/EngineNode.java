package earshot.scheduler;

import earshot.jobs.Job;
import static earshot.testsupport.Await.await;

import earshot.EarshotNode;
import earshot.bus.Addresses;
import earshot.bus.CancelJob;
import earshot.bus.GetJob;
import earshot.bus.JobEvent;
import earshot.bus.SubmitJob;
import earshot.bus.Submitted;
import earshot.config.ConfigLoader;
import earshot.config.EarshotConfig;
import earshot.runner.StageRegistry;
import earshot.testsupport.Deadlines;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A whole Earshot node (its own Vert.x, so its own event bus) for engine tests, plus bus-level client calls. */
final class EngineNode implements AutoCloseable {
  final Vertx vertx = Vertx.vertx();
  final EarshotConfig config;
  final EarshotNode node;
  final List<JobEvent> events = new CopyOnWriteArrayList<>();
  final RecordingJobMetrics metrics = new RecordingJobMetrics();
  private boolean stopped;

  EngineNode(JsonObject overrides, StageRegistry stages) {
    this(overrides, stages, Clock.systemUTC());
  }

  /** A node whose leases expire by {@code clock}: a test that moves it expires a lease when it chooses. */
  EngineNode(JsonObject overrides, StageRegistry stages, Clock clock) {
    this.config = ConfigLoader.fromOverrides(overrides);
    this.node = new EarshotNode(vertx, config, metrics, null, stages, clock);
    vertx.eventBus().<JsonObject>consumer(Addresses.JOB_EVENTS, m -> events.add(JobEvent.fromJson(m.body())));
    await(node.start());
  }

  /**
   * Test defaults: short polls and backoffs so jobs move in milliseconds, and a lease long enough that a runner on a
   * loaded machine never loses one by being slow (a lost lease is a retry the test did not expect); a test about
   * expiry moves a {@link earshot.testsupport.MutableClock} instead of waiting.
   */
  static JsonObject config(String storeUrl) {
    return new JsonObject()
        .put("roles", List.of("scheduler", "cpu", "gpu"))
        .put("store", new JsonObject().put("url", storeUrl))
        .put("http", new JsonObject().put("host", "127.0.0.1").put("port", 0))
        .put("jobs", new JsonObject()
            .put("lease_seconds", Deadlines.loaded(Duration.ofSeconds(3)).toSeconds())
            .put("poll_interval_ms", 100)
            .put("retry_backoff_ms", 200)
            .put("retry_backoff_max_ms", 2000)
            .put("shutdown_grace_seconds", 0)
            .put("max_retries", 3))
        .put("runners", new JsonObject().put("cpu_slots", 2).put("gpu_slots", 1));
  }

  Job submit(JsonObject payload) {
    return submit(payload, 0, null);
  }

  Job submit(JsonObject payload, int priority, Integer maxRetries) {
    SubmitJob submit = new SubmitJob("alice", payload, priority, maxRetries, null);
    return await(vertx.eventBus().<JsonObject>request(Addresses.JOBS_SUBMIT, submit.toJson())
        .map(m -> Submitted.fromJson(m.body()).job()));
  }

  Job get(long id) {
    return await(vertx.eventBus().<JsonObject>request(Addresses.JOBS_GET, new GetJob(id).toJson())
        .map(m -> Job.fromJson(m.body())));
  }

  Future<Job> cancel(long id) {
    return vertx.eventBus().<JsonObject>request(Addresses.JOBS_CANCEL, new CancelJob(id).toJson())
        .map(m -> Job.fromJson(m.body()));
  }

  List<JobEvent> eventsOf(long id) {
    return events.stream().filter(e -> e.id() == id).toList();
  }

  void stop() {
    if (!stopped) {
      stopped = true;
      try {
        await(node.stop());
      } finally {
        await(vertx.close());
      }
    }
  }

  @Override
  public void close() {
    stop();
  }
}

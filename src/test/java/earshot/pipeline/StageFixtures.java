package earshot.pipeline;

import earshot.config.EarshotConfig;
import earshot.jobs.Job;
import earshot.jobs.JobStage;
import earshot.jobs.JobStatus;
import earshot.runner.StageContext;
import earshot.runner.StageHandler;
import earshot.runner.StageOutcome;
import earshot.testsupport.Deadlines;
import earshot.transcribe.WhisperEngine;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Builds jobs, audio config and stage contexts by hand, and runs a stage on an event-loop context. */
final class StageFixtures {
  private StageFixtures() {}

  static Job job(JobStage stage, JsonObject payload) {
    return job(stage, payload, UUID.randomUUID().toString());
  }

  static Job job(JobStage stage, JsonObject payload, String uuid) {
    Instant now = Instant.now();
    return new Job(1, uuid, "owner-1", "default", stage, "default", JobStatus.PROCESSING, 0,
        0, 3, payload, null, null, 0, 0, "test-worker", now.plusSeconds(60), 1, now, null, now, now, null, now);
  }

  static EarshotConfig.Audio audio(EarshotConfig.Download download, Map<String, EarshotConfig.Provider> providers) {
    return new EarshotConfig.Audio(Path.of("/nonexistent/models"), "base.en", List.of(), download,
        new EarshotConfig.Whisper(1, Duration.ofSeconds(30), WhisperEngine.Sampling.DEFAULTS, 1, null),
        new EarshotConfig.Chunking(60, 2000, 0), providers);
  }

  /** Connect and idle timeouts are backstops here, which a loaded machine's local server must never trip. */
  static EarshotConfig.Download download(long maxBytes, int maxRedirects, List<String> allowPrivate) {
    Duration backstop = Deadlines.loaded(Duration.ofSeconds(1));
    return new EarshotConfig.Download(maxBytes, backstop, backstop, maxRedirects, allowPrivate);
  }

  /**
   * Runs {@code handler} for {@code job} the way a runner does: {@code execute} is called on a Vert.x context (an
   * event loop here, so a blocking call would trip the blocked-thread checker) with a real worker pool.
   */
  static Future<StageOutcome> run(Vertx vertx, WorkerExecutor pool, StageHandler handler, Job job) {
    StageContext ctx = new StageContext(job, vertx, pool);
    Promise<StageOutcome> outcome = Promise.promise();
    vertx.getOrCreateContext().runOnContext(v -> handler.execute(ctx).onComplete(outcome));
    return outcome.future();
  }
}

package earshot.scheduler;

import earshot.jobs.JobStage;
import earshot.jobs.PermanentStageException;
import earshot.jobs.RetryableStageException;
import earshot.runner.StageContext;
import earshot.runner.StageOutcome;
import earshot.runner.StageRegistry;
import earshot.testsupport.StandInStages;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/**
 * Test stages for the engine: by default every stage records its visit and appends its name to the payload's
 * {@code visited} list; the last one sets the result. A test can swap in its own behaviour for any stage.
 */
final class TestStages {
  /** One recorded stage run. */
  record Visit(long jobId, JobStage stage, String queue, String worker, long nanos) {}

  final List<Visit> visits = new CopyOnWriteArrayList<>();
  private final Map<JobStage, Function<StageContext, Future<StageOutcome>>> overrides = new EnumMap<>(JobStage.class);

  TestStages override(JobStage stage, Function<StageContext, Future<StageOutcome>> behaviour) {
    overrides.put(stage, behaviour);
    return this;
  }

  StageRegistry registry(String worker) {
    return StandInStages.everyStage((stage, ctx) -> {
      visits.add(new Visit(ctx.job().id(), stage, ctx.job().queue(), worker, System.nanoTime()));
      Function<StageContext, Future<StageOutcome>> custom = overrides.get(stage);
      return custom != null ? custom.apply(ctx) : record(ctx, stage);
    });
  }

  static Future<StageOutcome> record(StageContext ctx, JobStage stage) {
    JsonObject payload = ctx.payload();
    JsonArray visited = payload.getJsonArray("visited", new JsonArray()).add(stage.wireName());
    payload.put("visited", visited);
    JsonObject result = stage == JobStage.AUDIO_STORE ? new JsonObject().put("stages", visited.copy()) : null;
    return Future.succeededFuture(new StageOutcome.Completed(payload, result));
  }

  List<JobStage> stagesOf(long jobId) {
    return visits.stream().filter(v -> v.jobId() == jobId).map(Visit::stage).toList();
  }

  static Future<StageOutcome> alwaysRetry(StageContext ctx) {
    return Future.failedFuture(new RetryableStageException("provider unavailable"));
  }

  static Future<StageOutcome> permanent(StageContext ctx) {
    return Future.failedFuture(new PermanentStageException("Failed to load audio: Invalid file format"));
  }

  /** Runs until the job is aborted (cancel, lost lease, shutdown), then reports a retry like a real stage would. */
  static Future<StageOutcome> untilAborted(StageContext ctx) {
    return ctx.aborted().map(reason -> new StageOutcome.Retry("stopped: " + reason, null));
  }
}

package earshot.runner;

import earshot.jobs.JobStage;
import io.vertx.core.Future;

/**
 * One pipeline stage. {@link #execute} is called on the runner's context and must not block it: blocking work (JNI,
 * ffmpeg, files) goes through {@link StageContext#blocking}. A failed future is mapped by type: a
 * {@link PermanentStageException} fails the job, anything else is retried.
 */
public interface StageHandler {
  JobStage stage();

  Future<StageOutcome> execute(StageContext ctx);
}

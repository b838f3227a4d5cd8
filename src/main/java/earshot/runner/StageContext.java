package earshot.runner;

import earshot.bus.Addresses;
import earshot.bus.ProgressReport;
import earshot.jobs.Job;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.Callable;

/**
 * What a stage sees of the job it runs: the leased job, a place for blocking work, progress reporting and the
 * abort signal (cancel or lost lease). One context per stage run.
 */
public final class StageContext {
  private final Job job;
  private final Vertx vertx;
  private final WorkerExecutor blockingPool;
  private final Promise<String> aborted = Promise.promise();
  private volatile String abortReason;
  private final java.util.concurrent.atomic.AtomicInteger lastProgress = new java.util.concurrent.atomic.AtomicInteger(-1);

  /** Public for the stages' own tests, which run a stage without a runner. */
  public StageContext(Job job, Vertx vertx, WorkerExecutor blockingPool) {
    this.job = job;
    this.vertx = vertx;
    this.blockingPool = blockingPool;
  }

  public Job job() {
    return job;
  }

  /** A copy of the job's payload, safe to modify and return in {@link StageOutcome.Completed}. */
  public JsonObject payload() {
    return job.payload().copy();
  }

  public Vertx vertx() {
    return vertx;
  }

  /** Runs blocking work on the runner's stage pool (sized to its slots), never on an event loop. */
  public <T> Future<T> blocking(Callable<T> work) {
    return blockingPool.executeBlocking(work, false);
  }

  /** Reports progress 0–100 of this stage; repeated values are dropped. */
  public void progress(int percent) {
    int p = Math.clamp(percent, 0, 100);
    if (lastProgress.getAndSet(p) != p) {
      vertx.eventBus().send(Addresses.JOBS_PROGRESS, new ProgressReport(job.lease(), p).toJson());
    }
  }

  /** True once the job was cancelled or its lease was lost; long stages check this between units of work. */
  public boolean isAborted() {
    return abortReason != null;
  }

  /** Completes with the reason when the stage should stop. */
  public Future<String> aborted() {
    return aborted.future();
  }

  /** Asks the stage to stop; the runner calls it on a cancel or a lost lease, a stage's test calls it directly. */
  public void abort(String reason) {
    if (abortReason == null) {
      abortReason = reason;
      aborted.tryComplete(reason);
    }
  }

  String abortReason() {
    return abortReason;
  }
}

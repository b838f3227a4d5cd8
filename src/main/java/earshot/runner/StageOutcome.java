package earshot.runner;

import earshot.jobs.JobFailure;
import io.vertx.core.json.JsonObject;
import java.time.Duration;

/** How one stage run ended. The scheduler turns it into the job's next state. */
public sealed interface StageOutcome {

  /**
   * The stage succeeded. {@code payload} is the job's payload for the following stages (the input merged with what
   * this stage produced); {@code result} is the job's final result, set by the last stage.
   */
  record Completed(JsonObject payload, JsonObject result) implements StageOutcome {}

  /** A transient failure: try the stage again after {@code delay}, or after the scheduler's backoff when null. */
  record Retry(String error, Duration delay) implements StageOutcome {}

  /**
   * A permanent failure (bad input): the job fails now, with {@code error} as its message and {@code failure} as its
   * typed reason when an API must tell it apart (null otherwise).
   */
  record Fail(String error, JobFailure failure) implements StageOutcome {
    public Fail(String error) {
      this(error, null);
    }
  }

  static Completed completed(JsonObject payload) {
    return new Completed(payload, null);
  }
}

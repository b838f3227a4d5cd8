package earshot.jobs;

import earshot.config.EarshotConfig;
import io.vertx.core.json.JsonObject;
import java.util.Optional;

/**
 * Decides which stage a job runs next and on which queue. Stages that do not apply to a job's payload are skipped:
 * no download unless the payload has a {@code url}, no chunking when {@code perform_chunking=false}, no analysis
 * unless {@code perform_analysis=true}.
 */
public final class StagePlan {
  private final EarshotConfig.Queues queues;

  public StagePlan(EarshotConfig.Queues queues) {
    this.queues = queues;
  }

  public JobStage first(JsonObject payload) {
    return applicableFrom(0, payload).orElseThrow();
  }

  /** The stage after {@code current}, or empty when {@code current} was the last one. */
  public Optional<JobStage> next(JobStage current, JsonObject payload) {
    return applicableFrom(current.ordinal() + 1, payload);
  }

  public String queueFor(JobStage stage, JsonObject payload) {
    if (stage != JobStage.AUDIO_TRANSCRIBE) {
      return queues.defaultQueue();
    }
    String model = payload.getString("model");
    return model == null ? queues.transcribeQueue()
        : queues.transcribeByModel().getOrDefault(model, queues.transcribeQueue());
  }

  public static boolean applies(JobStage stage, JsonObject payload) {
    return switch (stage) {
      case AUDIO_DOWNLOAD -> payload.getValue("url") != null;
      case AUDIO_CHUNK -> !Boolean.FALSE.equals(payload.getValue("perform_chunking"));
      case AUDIO_ANALYZE -> Boolean.TRUE.equals(payload.getValue("perform_analysis"));
      case AUDIO_CONVERT, AUDIO_TRANSCRIBE, AUDIO_STORE -> true;
    };
  }

  private static Optional<JobStage> applicableFrom(int ordinal, JsonObject payload) {
    JobStage[] all = JobStage.values();
    for (int i = ordinal; i < all.length; i++) {
      if (applies(all[i], payload)) {
        return Optional.of(all[i]);
      }
    }
    return Optional.empty();
  }
}

package earshot.jobs;

import earshot.config.EarshotConfig;
import io.vertx.core.json.JsonObject;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;

/**
 * Decides which stage a job runs next and on which queue, and which part of the job's progress each stage covers.
 * Stages that do not apply to a job's payload are skipped: no download unless the payload has a {@code url}, no
 * chunking when {@code perform_chunking=false}, no analysis unless {@code perform_analysis=true}, no conversion or
 * transcription for a saved live stream ({@link PayloadKeys#STREAMED}).
 */
public final class StagePlan {
  /** Each stage's share of a job's progress; a skipped stage's share goes to the stages that run, in proportion. */
  private static final Map<JobStage, Integer> WEIGHTS = new EnumMap<>(Map.of(
      JobStage.AUDIO_DOWNLOAD, 10, JobStage.AUDIO_CONVERT, 10, JobStage.AUDIO_TRANSCRIBE, 65,
      JobStage.AUDIO_CHUNK, 5, JobStage.AUDIO_ANALYZE, 5, JobStage.AUDIO_STORE, 5));

  private final EarshotConfig.Queues queues;
  private final String defaultModel;
  private final boolean perModel;

  public StagePlan(EarshotConfig.Queues queues) {
    this(queues, null, false);
  }

  /**
   * {@code perModel}: in a cluster, each model's transcriptions get their own queue (see
   * {@link EarshotConfig.Queues#transcribeQueueFor}); {@code defaultModel} is what the alias and no model mean.
   */
  public StagePlan(EarshotConfig.Queues queues, String defaultModel, boolean perModel) {
    this.queues = queues;
    this.defaultModel = defaultModel;
    this.perModel = perModel;
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
    return queues.transcribeQueueFor(payload.getString(PayloadKeys.MODEL), defaultModel, perModel);
  }

  /**
   * The part of the job's progress that {@code stage} covers for this payload: the stages that run share 0–100 by
   * their weights, in order, so the first starts at 0 and the last ends at 100 (transcription has the largest part).
   */
  public static ProgressSpan span(JobStage stage, JsonObject payload) {
    int before = 0;
    int total = 0;
    for (JobStage s : JobStage.values()) {
      if (applies(s, payload)) {
        before += s.ordinal() < stage.ordinal() ? WEIGHTS.get(s) : 0;
        total += WEIGHTS.get(s);
      }
    }
    int own = applies(stage, payload) ? WEIGHTS.get(stage) : 0;
    return new ProgressSpan(100 * before / total, 100 * (before + own) / total);
  }

  public static boolean applies(JobStage stage, JsonObject payload) {
    return switch (stage) {
      case AUDIO_DOWNLOAD -> payload.getValue("url") != null;
      case AUDIO_CHUNK -> !Boolean.FALSE.equals(payload.getValue("perform_chunking"));
      case AUDIO_ANALYZE -> Boolean.TRUE.equals(payload.getValue("perform_analysis"));
      // a saved live stream was transcribed as it streamed
      case AUDIO_CONVERT, AUDIO_TRANSCRIBE -> !Boolean.TRUE.equals(payload.getValue(PayloadKeys.STREAMED));
      case AUDIO_STORE -> true;
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

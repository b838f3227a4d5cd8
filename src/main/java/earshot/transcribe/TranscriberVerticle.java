package earshot.transcribe;

import earshot.config.EarshotConfig;
import earshot.jobs.Job;
import earshot.jobs.JobStage;
import earshot.jobs.PayloadKeys;
import earshot.metrics.JobMetrics;
import earshot.runner.StageRegistry;
import earshot.runner.RunnerSpec;
import earshot.runner.StageRunnerVerticle;
import io.vertx.core.Future;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The GPU role: a runner that serves only the transcribe queues ({@code transcribe} and any per-model queues) and
 * runs only the audio_transcribe stage; the next stage goes back to the {@code default} queue for CPU runners.
 *
 * <p>Threading: a worker verticle, like every runner; whisper.cpp calls run on its stage pool, never on an event
 * loop.
 */
public final class TranscriberVerticle extends StageRunnerVerticle {
  private static final Logger LOG = LoggerFactory.getLogger(TranscriberVerticle.class);
  private final EarshotConfig.Audio audio;
  private final int slots;
  private final EarshotConfig.Queues queues;
  private final boolean perModel;
  private final JobMetrics metrics;
  private static final Duration MODELS_RESCAN = Duration.ofSeconds(5);
  private List<String> held;
  private long heldAt;

  public TranscriberVerticle(EarshotConfig config, StageRegistry stages, JobMetrics metrics) {
    super(new RunnerSpec("gpu", config.queues().transcribeQueues(), config.runners().gpuSlots(),
            config.jobs().heartbeatInterval(), config.jobs().shutdownGrace(), config.jobs().lease(),
            config.cluster().busTimeout()),
        stages.only(JobStage.AUDIO_TRANSCRIBE), metrics);
    this.audio = config.audio();
    this.slots = config.runners().gpuSlots();
    this.queues = config.queues();
    this.perModel = config.cluster().enabled();
    this.metrics = metrics;
  }

  /**
   * In a cluster, the queues of the models in this node's models directory (looked at again at most every few
   * seconds, so a model downloaded while the node runs is served without a restart); on one node, every transcribe
   * queue, so that a job for a model that is not installed fails at once with the command that fetches it.
   */
  @Override
  protected List<String> queues() {
    if (!perModel) {
      return super.queues();
    }
    List<String> queues = new ArrayList<>();
    for (String model : models()) {
      String q = this.queues.transcribeQueueFor(model, audio.defaultModel(), true);
      if (!queues.contains(q)) {
        queues.add(q);
      }
    }
    return queues;
  }

  /** The transcription's real-time factor: its wall time over the audio's length. */
  @Override
  protected void completed(Job job, Duration took) {
    Double audioSeconds = job.payload() == null ? null : job.payload().getDouble(PayloadKeys.DURATION_SECONDS);
    if (audioSeconds != null && audioSeconds > 0) {
      metrics.realTimeFactor(took.toNanos() / 1e9 / audioSeconds);
    }
  }

  /** The models in the models directory ({@code ggml-<name>.bin} of a name whisper.cpp publishes). */
  @Override
  protected List<String> models() {
    long now = System.nanoTime();
    if (held == null || now - heldAt > MODELS_RESCAN.toNanos()) {
      held = ModelRegistry.installed(audio.modelsDir()); // a directory listing; this is a worker verticle
      heldAt = now;
    }
    return held;
  }

  /**
   * Says at start-up, not only on the first job, when the default model is missing or cannot run, and how many threads
   * and which decoding defaults each job gets.
   */
  @Override
  public Future<?> start() {
    WhisperEngine.Sampling s = audio.whisper().sampling();
    LOG.info("whisper.cpp: {} threads per job ({} cores, {} transcribe slots); decoding defaults beam_size={} "
            + "best_of={} temperature={} temperature_inc={} (null: whisper.cpp's own)", audio.whisper().threads(),
        Runtime.getRuntime().availableProcessors(), slots, s.beamSize(), s.bestOf(), s.temperature(),
        s.temperatureInc());
    return vertx.executeBlocking(() -> DefaultModelCheck.check(audio.modelsDir(), audio.defaultModel()))
        .andThen(ar -> {
          if (ar.failed()) {
            LOG.error("could not check the default model", ar.cause());
          } else if (!ar.result().usable()) {
            LOG.error("{}; /ready answers 503 until it is fixed", ar.result().error());
          }
        })
        .otherwiseEmpty() // the runner starts either way: a model installed later is picked up by the next job
        .compose(v -> super.start());
  }
}

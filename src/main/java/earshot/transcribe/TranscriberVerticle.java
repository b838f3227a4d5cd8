package earshot.transcribe;

import earshot.config.EarshotConfig;
import earshot.jobs.JobStage;
import earshot.metrics.JobMetrics;
import earshot.pipeline.StageRegistry;
import earshot.pipeline.StageRunnerVerticle;

/**
 * The GPU role: a runner that serves only the transcribe queues ({@code transcribe} and any per-model queues) and
 * runs only the audio_transcribe stage; the next stage goes back to the {@code default} queue for CPU runners.
 *
 * <p>Threading: a worker verticle, like every runner; whisper.cpp calls run on its stage pool, never on an event
 * loop.
 */
public final class TranscriberVerticle extends StageRunnerVerticle {
  public TranscriberVerticle(EarshotConfig config, StageRegistry stages, JobMetrics metrics) {
    super(new Spec("gpu", config.queues().transcribeQueues(), config.runners().gpuSlots(),
            config.jobs().heartbeatInterval(), config.jobs().shutdownGrace()),
        stages.only(JobStage.AUDIO_TRANSCRIBE), metrics);
  }
}

package earshot.pipeline;

import earshot.config.EarshotConfig;
import earshot.jobs.JobStage;
import earshot.metrics.JobMetrics;
import earshot.runner.StageRegistry;
import earshot.runner.RunnerSpec;
import earshot.runner.StageRunnerVerticle;
import java.util.List;

/**
 * The CPU role: a runner on the {@code default} queue that runs every stage except audio_transcribe (which goes to
 * the transcribe queues and the {@code TranscriberVerticle}).
 *
 * <p>Threading: a worker verticle; blocking stage work runs on its stage pool.
 */
public final class CpuRunnerVerticle extends StageRunnerVerticle {
  public CpuRunnerVerticle(EarshotConfig config, StageRegistry stages, JobMetrics metrics) {
    super(new RunnerSpec("cpu", List.of(config.queues().defaultQueue()), config.runners().cpuSlots(),
            config.jobs().heartbeatInterval(), config.jobs().shutdownGrace(), config.jobs().lease(),
            config.cluster().busTimeout()),
        stages.without(JobStage.AUDIO_TRANSCRIBE), metrics);
  }
}

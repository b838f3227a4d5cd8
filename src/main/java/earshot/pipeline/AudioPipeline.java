package earshot.pipeline;

import earshot.artifacts.ArtifactStore;
import earshot.artifacts.ArtifactStores;
import earshot.config.EarshotConfig;
import earshot.runner.StageRegistry;
import earshot.transcribe.TranscribeStage;
import earshot.transcribe.WhisperEngine;
import java.time.Clock;

/**
 * The production stages, in one place: download, convert (jave/ffmpeg), transcribe (whisper.cpp), chunk, analyze
 * (an OpenAI-compatible provider) and store. The whisper engine is owned by the caller, which closes it after the
 * runners have stopped.
 */
public final class AudioPipeline {
  private AudioPipeline() {}

  /** The stages over {@code artifacts}, the node's artifact store (owned and closed by the caller). */
  public static StageRegistry stages(EarshotConfig config, ArtifactStore artifacts, WhisperEngine engine,
                                     Clock clock) {
    Workspace workspace = new Workspace(config.dataDir());
    return StageRegistry.of(
        new DownloadStage(config.audio(), workspace, artifacts),
        new ConvertStage(config.audio(), workspace, artifacts).withBusTimeout(config.cluster().busTimeout()),
        new TranscribeStage(config.audio(), engine, config.dataDir(), artifacts),
        new ChunkStage(config.audio().chunking()),
        new AnalyzeStage(config.audio()),
        new StoreStage(workspace, artifacts, clock));
  }

  /** The stages over an artifact store of their own, opened from {@code config} (tests; it lives as long as the JVM). */
  public static StageRegistry stages(EarshotConfig config, WhisperEngine engine, Clock clock) {
    return stages(config, ArtifactStores.open(config, clock), engine, clock);
  }
}

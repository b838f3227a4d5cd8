package earshot.pipeline;

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

  public static StageRegistry stages(EarshotConfig config, WhisperEngine engine, Clock clock) {
    Workspace workspace = new Workspace(config.dataDir());
    return StageRegistry.of(
        new DownloadStage(config.audio(), workspace),
        new ConvertStage(config.audio(), workspace),
        new TranscribeStage(config.audio(), engine),
        new ChunkStage(config.audio().chunking()),
        new AnalyzeStage(config.audio()),
        new StoreStage(workspace, clock));
  }
}

package earshot.runner;

import earshot.jobs.JobStage;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;

/** The stage handlers a node's runners can execute. Immutable once built. */
public final class StageRegistry {
  private final Map<JobStage, StageHandler> handlers;

  private StageRegistry(Map<JobStage, StageHandler> handlers) {
    this.handlers = Map.copyOf(handlers);
  }

  public static StageRegistry of(StageHandler... handlers) {
    Map<JobStage, StageHandler> map = new EnumMap<>(JobStage.class);
    for (StageHandler h : handlers) {
      if (map.put(h.stage(), h) != null) {
        throw new IllegalArgumentException("two handlers for " + h.stage().wireName());
      }
    }
    return new StageRegistry(map);
  }

  public Optional<StageHandler> handler(JobStage stage) {
    return Optional.ofNullable(handlers.get(stage));
  }

  /** The same registry restricted to {@code stage}, e.g. for a transcriber that runs only audio_transcribe. */
  public StageRegistry only(JobStage stage) {
    Map<JobStage, StageHandler> map = new EnumMap<>(JobStage.class);
    handler(stage).ifPresent(h -> map.put(stage, h));
    return new StageRegistry(map);
  }

  /** The same registry without {@code stage}. */
  public StageRegistry without(JobStage stage) {
    Map<JobStage, StageHandler> map = new EnumMap<>(JobStage.class);
    map.putAll(handlers);
    map.remove(stage);
    return new StageRegistry(map);
  }
}

package earshot.cluster;

import earshot.bus.Addresses;
import earshot.bus.WorkerEntry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.shareddata.AsyncMap;
import java.time.Duration;
import java.util.List;

/**
 * The live stage runners of the cluster (of this process, on a node that is not clustered), in the shared map
 * {@link Addresses#WORKERS_MAP}: each runner writes its {@link WorkerEntry} every {@link #REFRESH} with a time to live
 * of {@link #TTL}, so a node killed with -9 drops out within the TTL without anyone removing it. Read by the
 * scheduler's queue statistics, to say which queue no live runner serves and which model no live node holds.
 *
 * <p>The entries are advice for people and dashboards; nothing decides job ownership from them.
 */
public final class WorkerDirectory {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(WorkerDirectory.class);
  public static final Duration REFRESH = Duration.ofSeconds(5);
  public static final Duration TTL = REFRESH.multipliedBy(3);

  /** This process, as entries name it: {@code pid@host}. */
  public static final String NODE = java.lang.management.ManagementFactory.getRuntimeMXBean().getName();

  private final Vertx vertx;

  public WorkerDirectory(Vertx vertx) {
    this.vertx = vertx;
  }

  /**
   * Lists what {@code entry} gives now and again every {@link #REFRESH} (nothing when it gives null: a runner that is
   * stopping); the periodic timer's id, to cancel. Call from the runner's context: {@code entry} reads its state.
   */
  public long listEvery(java.util.function.Supplier<WorkerEntry> entry) {
    Runnable list = () -> {
      WorkerEntry e = entry.get();
      if (e != null) {
        put(e).onFailure(err -> LOG.debug("{}: could not list itself in the worker directory: {}", e.worker(),
            err.getMessage()));
      }
    };
    list.run();
    return vertx.setPeriodic(REFRESH.toMillis(), id -> list.run());
  }

  /** Lists (or lists again) a runner, for the next {@link #TTL}. */
  public Future<Void> put(WorkerEntry entry) {
    return map().compose(m -> m.put(entry.worker(), entry.toJson().encode(), TTL.toMillis()));
  }

  public Future<Void> remove(String worker) {
    return map().compose(m -> m.remove(worker)).mapEmpty();
  }

  /** The runners listed now. */
  public Future<List<WorkerEntry>> live() {
    return map().compose(AsyncMap::values)
        .map(values -> values.stream().map(v -> WorkerEntry.fromJson(new io.vertx.core.json.JsonObject(v))).toList());
  }

  private Future<AsyncMap<String, String>> map() {
    return vertx.sharedData().getAsyncMap(Addresses.WORKERS_MAP);
  }
}

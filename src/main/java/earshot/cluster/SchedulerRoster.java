package earshot.cluster;

import earshot.bus.Addresses;
import earshot.bus.SchedulerHello;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a cluster to one scheduler when that scheduler runs on SQLite. SQLite is the small case: one box holds the
 * database and GPU boxes sit beside it; a second scheduler on another box would open another file and the cluster
 * would have two job stores. Several schedulers need Postgres, where SKIP LOCKED and lease fencing make them safe.
 *
 * <p>A starting scheduler asks {@link Addresses#SCHEDULERS} who runs already (any one answers: when one runs on
 * SQLite it is the only one) under a cluster-wide lock held until it answers that address itself, so two schedulers
 * starting at once are checked one after the other. The lock only orders start-ups; job ownership never depends on
 * it.
 */
public final class SchedulerRoster {
  private static final Logger LOG = LoggerFactory.getLogger(SchedulerRoster.class);
  private static final String LOCK = "earshot.cluster.scheduler-start";
  private static final int ATTEMPTS = 3;

  private final Vertx vertx;
  private final SchedulerHello self;
  private final Duration timeout;
  private MessageConsumer<JsonObject> consumer;

  public SchedulerRoster(Vertx vertx, String nodeId, boolean postgres, Duration timeout) {
    this.vertx = vertx;
    this.self = new SchedulerHello(nodeId, postgres ? "postgres" : "sqlite");
    this.timeout = timeout;
  }

  /**
   * Runs {@code start} (which deploys the scheduler) when no scheduler in the cluster forbids it, then answers for
   * this one; fails with a one-line reason otherwise.
   */
  public Future<Void> join(Supplier<Future<Void>> start) {
    return vertx.sharedData().getLockWithTimeout(LOCK, timeout.toMillis() * 3)
        .compose(lock -> check()
            .compose(v -> start.get())
            .compose(v -> answer())
            .andThen(ar -> lock.release()));
  }

  private Future<Void> check() {
    return check(1);
  }

  /**
   * Asks once more when no one answers in time: a scheduler killed a moment ago stays subscribed until the cluster
   * drops it (cluster.member_timeout_seconds), and a request may reach it; a live one answers at once.
   */
  private Future<Void> check(int attempt) {
    return vertx.eventBus().<JsonObject>request(Addresses.SCHEDULERS, self.toJson(),
            new DeliveryOptions().setSendTimeout(timeout.toMillis()))
        .map(m -> SchedulerHello.fromJson(m.body()))
        .compose(this::admit, err -> {
          if (err instanceof ReplyException re && re.failureType() == ReplyFailure.NO_HANDLERS) {
            return Future.succeededFuture(); // the first scheduler of the cluster
          }
          if (err instanceof ReplyException re && re.failureType() == ReplyFailure.TIMEOUT && attempt < ATTEMPTS) {
            LOG.info("no scheduler answered within {}; asking again (a dead one may not have left yet)", timeout);
            return check(attempt + 1);
          }
          if (err instanceof ReplyException re && re.failureType() == ReplyFailure.TIMEOUT) {
            LOG.warn("no scheduler answered {} times: taking it that none runs", ATTEMPTS);
            return Future.succeededFuture();
          }
          return Future.failedFuture(new IllegalStateException("could not ask the cluster for its schedulers: "
              + err.getMessage(), err));
        });
  }

  private Future<Void> admit(SchedulerHello other) {
    if ("sqlite".equals(other.store()) || "sqlite".equals(self.store())) {
      String which = "sqlite".equals(other.store()) ? "the scheduler on node " + other.nodeId() + " runs on SQLite"
          : "this scheduler would run on SQLite beside the scheduler on node " + other.nodeId();
      return Future.failedFuture(new IllegalStateException("a second scheduler cannot join this cluster: " + which
          + "; several schedulers need Postgres (JOBS_DB_URL=postgresql://...), or run this node without the"
          + " scheduler role (EARSHOT_ROLES)"));
    }
    LOG.info("joining the schedulers of this cluster (node {} runs one on {})", other.nodeId(), other.store());
    return Future.succeededFuture();
  }

  private Future<Void> answer() {
    consumer = vertx.eventBus().consumer(Addresses.SCHEDULERS, m -> m.reply(self.toJson()));
    return consumer.completion();
  }

  /** Stops answering for this scheduler (before it stops). */
  public Future<Void> leave() {
    return consumer == null ? Future.succeededFuture() : consumer.unregister();
  }
}

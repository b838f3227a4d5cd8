package earshot.jobs;

import earshot.bus.Addresses;
import earshot.bus.Failures;
import earshot.bus.GetJob;
import earshot.bus.HandOffCodec;
import earshot.config.EarshotConfig;
import earshot.store.JobReader;
import earshot.store.JobStores;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;

/**
 * The read path of job lookups: answers {@code earshot.jobs.get} from a {@link JobReader} of its own, so a status
 * request neither waits behind the scheduler's writes nor hops through the scheduler's event loop. It only reads:
 * every write still goes through the {@link SchedulerVerticle}, and every answer is read from the database when it is
 * asked for (no cache), so it shows the committed state.
 *
 * <p>Threading: deployed with the model its store needs ({@link JobStores#readerThreading}): a worker verticle for
 * SQLite, whose reader runs blocking JDBC on this instance's own connection; an event-loop verticle for Postgres,
 * whose reader is reactive on this instance's own pool. Each instance owns its reader and nothing else, so several
 * instances answer in parallel. Deployed after the scheduler, which creates and migrates the database.
 */
public final class JobReaderVerticle extends VerticleBase {
  /** The reply is built for this message and dropped after it. */
  private static final DeliveryOptions HAND_OFF = HandOffCodec.options();

  private final EarshotConfig.Store config;
  private JobReader reader;

  public JobReaderVerticle(EarshotConfig.Store config) {
    this.config = config;
  }

  @Override
  public Future<?> start() {
    reader = JobStores.openReader(vertx, config);
    return vertx.eventBus().<JsonObject>consumer(Addresses.JOBS_GET, this::onGet).completion();
  }

  @Override
  public Future<?> stop() {
    return reader.close();
  }

  private void onGet(Message<JsonObject> msg) {
    long id = GetJob.fromJson(msg.body()).id();
    reader.getWithPosition(id)
        .onSuccess(found -> {
          if (found.isEmpty()) {
            msg.fail(Failures.NOT_FOUND, "job " + id + " not found");
            return;
          }
          JsonObject json = found.get().job().toJson();
          if (found.get().job().status() == JobStatus.QUEUED) {
            json.put("queue_position", found.get().queuePosition());
          }
          msg.reply(json, HAND_OFF);
        })
        .onFailure(err -> msg.fail(Failures.UNAVAILABLE, "store query failed: " + err.getMessage()));
  }
}

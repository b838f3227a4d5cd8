package earshot.stream;

import earshot.bus.Addresses;
import earshot.bus.StreamDecode;
import earshot.bus.StreamDecoded;
import earshot.bus.StreamUsage;
import earshot.config.EarshotConfig;
import earshot.metrics.StreamMetrics;
import earshot.quota.StreamAdmission;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;

/**
 * What every live stream of an API verticle uses: its settings, the quota checks, the meters, the data directory
 * (where saved streams' audio goes), and the two bus
 * requests a stream makes (a decode pass to the transcriber role, and its seconds to the daily-minutes ledger).
 *
 * <p>Threading: stateless apart from its collaborators; used on the API verticle's event loop.
 */
public record StreamServices(Vertx vertx, EarshotConfig.Streaming settings, StreamAdmission admission,
                             StreamMetrics metrics, java.nio.file.Path dataDir, java.time.Duration busTimeout) {
  /** A pass waits for a whisper state on the transcriber for up to 10 s; this leaves room for the decode itself. */
  private static final DeliveryOptions DECODE = new DeliveryOptions().setSendTimeout(60_000);

  /** For the requests that cross to the scheduler (usage, a saved stream's job): the node's bus timeout. */
  DeliveryOptions schedulerRequest() {
    return new DeliveryOptions().setSendTimeout(busTimeout.toMillis());
  }

  public Future<StreamDecoded> decode(StreamDecode pass) {
    return vertx.eventBus().<JsonObject>request(Addresses.STREAM_DECODE, pass.pcm(), pass.options(DECODE))
        .map(m -> StreamDecoded.fromJson(m.body()));
  }

  public Future<StreamUsage.Left> used(String owner, double seconds) {
    return vertx.eventBus().<JsonObject>request(Addresses.QUOTA_STREAM_USAGE,
            new StreamUsage(owner, seconds).toJson(), schedulerRequest())
        .map(m -> StreamUsage.Left.fromJson(m.body()));
  }

  int samples(java.time.Duration d) {
    return (int) (d.toMillis() * LiveTranscriber.RATE / 1000);
  }
}

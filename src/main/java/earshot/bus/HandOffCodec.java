package earshot.bus;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageCodec;
import io.vertx.core.json.JsonObject;

/**
 * A {@code JsonObject} body handed over to its one receiver instead of copied. Vert.x copies a {@code JsonObject}
 * on every local delivery, in case the sender changes it afterwards; a request or reply that is built for the
 * message and never touched again by its sender does not need that copy, and on the hot API paths (a job and its
 * payload, both ways) the deep copy was a measurable share of the work. Over the wire it is plain JSON, as Vert.x's
 * own codec writes it. Never used for publish, where several receivers would share one object.
 *
 * <p>Registered once per Vert.x instance by {@code EarshotNode}; senders opt in with {@link #options}.
 */
public final class HandOffCodec implements MessageCodec<JsonObject, JsonObject> {
  public static final String NAME = "earshot.json.hand-off";

  /** Registers the codec on {@code vertx}, unless another node on the same instance already did. */
  public static void register(Vertx vertx) {
    try {
      vertx.eventBus().registerCodec(new HandOffCodec());
    } catch (IllegalStateException alreadyRegistered) {
      // another node in this Vert.x instance registered it; one registration serves both
    }
  }

  /** Options for sending or replying with a body that the sender will not touch again. */
  public static DeliveryOptions options() {
    return new DeliveryOptions().setCodecName(NAME);
  }

  @Override
  public void encodeToWire(Buffer buffer, JsonObject json) {
    Buffer encoded = json.toBuffer();
    buffer.appendInt(encoded.length());
    buffer.appendBuffer(encoded);
  }

  @Override
  public JsonObject decodeFromWire(int pos, Buffer buffer) {
    int length = buffer.getInt(pos);
    int start = pos + 4;
    return new JsonObject(buffer.slice(start, start + length));
  }

  @Override
  public JsonObject transform(JsonObject json) {
    return json;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public byte systemCodecID() {
    return -1;
  }
}

package earshot.bus;

import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;

/**
 * One decode pass of a live stream ({@link Addresses#STREAM_DECODE}): the body is the audio itself, 16 kHz mono
 * {@code pcm_f32le}, as a {@link Buffer} (no JSON, no base64); the rest travels in headers. {@code prompt} is the text
 * the stream already committed (whisper.cpp's {@code initial_prompt}), {@code language} an ISO code or "auto".
 */
public record StreamDecode(String model, String language, String prompt, Buffer pcm) {
  private static final String MODEL = "model";
  private static final String LANGUAGE = "language";
  private static final String PROMPT = "prompt";

  /** The headers to send the {@link #pcm} body with, on top of {@code base} (which carries the timeout). */
  public DeliveryOptions options(DeliveryOptions base) {
    DeliveryOptions o = new DeliveryOptions(base.toJson());
    if (model != null) {
      o.addHeader(MODEL, model);
    }
    if (language != null) {
      o.addHeader(LANGUAGE, language);
    }
    if (prompt != null && !prompt.isBlank()) {
      o.addHeader(PROMPT, prompt);
    }
    return o;
  }

  public static StreamDecode fromMessage(Message<Buffer> m) {
    MultiMap h = m.headers();
    return new StreamDecode(h.get(MODEL), h.get(LANGUAGE), h.get(PROMPT), m.body());
  }

  /** Seconds of audio in the body. */
  public double seconds() {
    return pcm.length() / 4 / 16000.0;
  }
}

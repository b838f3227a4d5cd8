package earshot.stream;

import earshot.metrics.StreamMetrics.CloseReason;
import earshot.tiers.QuotaRefusal;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.util.Base64;
import java.util.Optional;
import java.util.UUID;

/**
 * OpenAI's Realtime API in transcription mode on {@code WS /v1/realtime?intent=transcription}: the client configures
 * with {@code transcription_session.update} (or {@code session.update} with a transcription session), streams base64
 * pcm16 at 24 kHz with {@code input_audio_buffer.append}, and with {@code server_vad} (the default: threshold 0.5,
 * prefix_padding_ms 300, silence_duration_ms 500) gets {@code input_audio_buffer.speech_started},
 * {@code speech_stopped} and {@code committed}, then {@code conversation.item.input_audio_transcription.delta} as
 * text becomes stable and {@code .completed} per item. With {@code turn_detection: null} the client commits with
 * {@code input_audio_buffer.commit}. Errors are OpenAI's {@code error} event.
 *
 * <p>Threading: the socket's event loop only.
 */
public final class RealtimeSocket {
  private static final int MIN_COMMIT_SAMPLES = LiveTranscriber.RATE / 10; // OpenAI refuses commits under 100 ms

  private final StreamServices services;
  private final ServerWebSocket ws;
  private final StreamGuard guard;
  private LiveTranscriber transcriber;
  private Resampler resampler = new Resampler(24_000);
  private int inputRate = 24_000;
  private String model;
  private String language;
  private String prompt;
  private boolean serverVad = true;
  private double threshold = 0.5;
  private int silenceMs = 500;
  private String item;         // the item audio is going into now
  private String previousItem;
  private final StringBuilder transcript = new StringBuilder();
  private long samplesSinceCommit;

  public RealtimeSocket(StreamServices services, ServerWebSocket ws, String owner) {
    this.services = services;
    this.ws = ws;
    this.guard = new StreamGuard(services, ws, owner);
    guard.onClosed(() -> {
      if (transcriber != null) {
        transcriber.stop();
      }
    });
    guard.onBudgetOut(() -> transcriber.flush(true).onComplete(ar -> {
      error("quota_exceeded", "the daily_minutes quota is exhausted", null);
      guard.close(CloseReason.QUOTA_EXCEEDED, StreamGuard.QUOTA_CLOSE, StreamGuard.QUOTA_REASON);
    }));
    ws.textMessageHandler(this::onText);
    ws.binaryMessageHandler(b -> error("invalid_request_error", "binary frames are not supported; send "
        + "input_audio_buffer.append events", null));
    guard.startIdleTimer(() -> guard.close(CloseReason.IDLE_TIMEOUT, (short) 1008, "idle_timeout"));
    guard.hold(true); // nothing is read before the quotas said yes
    guard.admit().onComplete(ar -> {
      if (ar.failed()) {
        error("server_error", "quota check failed", null);
        guard.close(CloseReason.SERVER_ERROR, (short) 1011, "server_error");
        return;
      }
      Optional<QuotaRefusal> refused = ar.result();
      if (refused.isPresent()) {
        error("quota_exceeded", "the " + refused.get().type().wireName() + " quota is exhausted", null);
        guard.close(CloseReason.QUOTA_EXCEEDED, StreamGuard.QUOTA_CLOSE, StreamGuard.QUOTA_REASON);
        return;
      }
      restart();
      send(event("transcription_session.created").put("session", session()));
      guard.hold(false);
    });
  }

  private void onText(String text) {
    guard.touch();
    JsonObject e;
    try {
      e = new JsonObject(text);
    } catch (DecodeException | ClassCastException bad) {
      error("invalid_request_error", "the event is not a JSON object", null);
      return;
    }
    String type = e.getString("type", "");
    String eventId = e.getString("event_id");
    try {
      switch (type) {
        case "transcription_session.update" -> {
          // the guide's example puts the fields on the event itself, the API reference under "session"
          update(e.getJsonObject("session", e), false);
          send(event("transcription_session.updated").put("session", session()));
        }
        case "session.update" -> {
          update(e.getJsonObject("session", new JsonObject()), true);
          send(event("session.updated").put("session", session()));
        }
        case "input_audio_buffer.append" -> append(e.getString("audio", ""));
        case "input_audio_buffer.commit" -> commit(eventId);
        case "input_audio_buffer.clear" -> {
          transcriber.clear();
          samplesSinceCommit = 0;
          send(event("input_audio_buffer.cleared"));
        }
        default -> error("invalid_request_error", "unsupported event type \"" + StreamOptions.clip(type)
            + "\" on a transcription session", eventId);
      }
    } catch (IllegalArgumentException | ClassCastException bad) {
      error("invalid_request_error", bad.getMessage(), eventId);
    }
  }

  /** Reads both shapes: the beta {@code transcription_session.update} and the GA {@code session.update}. */
  private void update(JsonObject s, boolean ga) {
    JsonObject input = ga ? s.getJsonObject("audio", new JsonObject()).getJsonObject("input", new JsonObject()) : s;
    JsonObject transcription = input.getJsonObject(ga ? "transcription" : "input_audio_transcription");
    if (transcription != null) {
      model = localModel(transcription.getString("model", model));
      language = blankToNull(transcription.getString("language", language));
      prompt = transcription.getString("prompt", prompt);
    }
    Object format = input.getValue(ga ? "format" : "input_audio_format");
    if (format instanceof JsonObject f) {
      if (!"audio/pcm".equals(f.getString("type", "audio/pcm"))) {
        throw new IllegalArgumentException("only audio/pcm input is supported");
      }
      inputRate = f.getInteger("rate", 24_000);
    } else if (format != null && !"pcm16".equals(format)) {
      throw new IllegalArgumentException("only pcm16 input is supported");
    }
    if (input.containsKey("turn_detection")) {
      JsonObject td = input.getJsonObject("turn_detection");
      serverVad = td != null;
      if (td != null) {
        threshold = td.getNumber("threshold", 0.5).doubleValue();
        silenceMs = td.getInteger("silence_duration_ms", 500);
      }
    }
    restart();
  }

  /** OpenAI's transcription model names mean this node's default model; any other name is one of ours. */
  static String localModel(String requested) {
    return requested == null || requested.startsWith("gpt-") || requested.equals("whisper-1") ? null : requested;
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s;
  }

  private void restart() {
    if (transcriber != null) {
      transcriber.stop();
    }
    var s = services.settings();
    resampler = new Resampler(inputRate);
    transcriber = new LiveTranscriber(new LiveTranscriber.Settings(model, language, false, Math.max(100, silenceMs),
        EnergyVad.snrForThreshold(threshold), services.samples(s.step()), services.samples(s.maxWindow()),
        services.samples(s.maxLag()), serverVad), services::decode, new Events());
  }

  private void append(String base64) {
    byte[] pcm = Base64.getDecoder().decode(base64);
    float[] samples = new float[pcm.length / 2];
    for (int i = 0; i < samples.length; i++) {
      samples[i] = (short) ((pcm[2 * i + 1] << 8) | (pcm[2 * i] & 0xff)) / 32768f;
    }
    float[] at16k = resampler.apply(samples);
    samplesSinceCommit += at16k.length;
    if (item == null) {
      item = newItem();
    }
    guard.audio(at16k.length / (double) LiveTranscriber.RATE);
    transcriber.accept(at16k);
  }

  private void commit(String eventId) {
    if (samplesSinceCommit < MIN_COMMIT_SAMPLES || item == null) {
      error("invalid_request_error", "input_audio_buffer_commit_empty",
          "buffer too small: a commit needs at least 100 ms of audio", eventId);
      return;
    }
    commitItem();
  }

  private void commitItem() {
    String committed = item;
    send(event("input_audio_buffer.committed").put("previous_item_id", previousItem).put("item_id", committed));
    previousItem = committed;
    item = null;
    samplesSinceCommit = 0;
    transcriber.flush(true).onSuccess(v -> {
      send(event("conversation.item.input_audio_transcription.completed").put("item_id", committed)
          .put("content_index", 0).put("transcript", transcript.toString()));
      transcript.setLength(0);
    });
  }

  private final class Events implements LiveTranscriber.Events {
    @Override
    public void partial(String text, double start, double end) {}

    @Override
    public void finalSegment(LiveTranscriber.Segment s, boolean speechFinal) {
      String delta = (transcript.isEmpty() ? "" : " ") + s.text();
      transcript.append(delta);
      String to = item != null && !speechFinal ? item : previousItem;
      send(event("conversation.item.input_audio_transcription.delta").put("item_id", to).put("content_index", 0)
          .put("delta", delta));
    }

    @Override
    public void speechStarted(long sample) {
      if (serverVad) {
        if (item == null) {
          item = newItem();
        }
        send(event("input_audio_buffer.speech_started").put("audio_start_ms", sample * 1000 / LiveTranscriber.RATE)
            .put("item_id", item));
      }
    }

    @Override
    public void speechStopped(long sample) {
      if (serverVad && item != null) {
        send(event("input_audio_buffer.speech_stopped").put("audio_end_ms", sample * 1000 / LiveTranscriber.RATE)
            .put("item_id", item));
        commitItem();
      }
    }

    @Override
    public void lag(double seconds, boolean pause) {
      guard.hold(pause);
    }

    @Override
    public void failed(Throwable err) {
      error("server_error", "transcription failed: " + err.getMessage(), null);
      guard.close(CloseReason.SERVER_ERROR, (short) 1011, "server_error");
    }

    @Override
    public void latency(boolean firstPartial, double seconds) {
      services.metrics().finalLatency(seconds);
    }
  }

  private JsonObject session() {
    JsonObject td = serverVad ? new JsonObject().put("type", "server_vad").put("threshold", threshold)
        .put("prefix_padding_ms", 300).put("silence_duration_ms", silenceMs) : null;
    return new JsonObject().put("id", "sess_" + guard.id()).put("object", "realtime.transcription_session")
        .put("input_audio_format", "pcm16")
        .put("input_audio_transcription", new JsonObject().put("model", model == null ? "whisper-1" : model)
            .put("language", language).put("prompt", prompt == null ? "" : prompt))
        .put("turn_detection", td);
  }

  private static String newItem() {
    return "item_" + UUID.randomUUID().toString().replace("-", "").substring(0, 20);
  }

  private static JsonObject event(String type) {
    return new JsonObject().put("event_id", "event_" + UUID.randomUUID().toString().replace("-", "").substring(0, 20))
        .put("type", type);
  }

  private void error(String type, String message, String eventId) {
    error(type, null, message, eventId);
  }

  /** OpenAI's error event: {@code {type: "error", error: {type, code, message, param, event_id}}}. */
  private void error(String type, String code, String message, String eventId) {
    send(event("error").put("error", new JsonObject().put("type", type).put("code", code).put("message", message)
        .put("param", (String) null).put("event_id", eventId)));
  }

  private void send(JsonObject msg) {
    if (!ws.isClosed()) {
      ws.writeTextMessage(msg.encode());
    }
  }
}

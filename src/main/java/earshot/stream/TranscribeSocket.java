package earshot.stream;

import earshot.metrics.StreamMetrics.CloseReason;
import earshot.stream.AudioInput.Encoding;
import earshot.tiers.QuotaRefusal;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Earshot's own live protocol on {@code WS /api/v1/audio/stream/transcribe} (docs/streaming.md): a config frame,
 * then binary audio frames and the control messages {@code keepalive}, {@code finalize} and {@code end}; the server
 * answers {@code ready}, {@code partial}, {@code final}, {@code finalized}, {@code lag}, {@code done} and
 * {@code error}. A second malformed frame closes with 1003; a stream idle for the configured time with 1008
 * {@code idle_timeout}; a quota with 4003.
 *
 * <p>Threading: the socket's event loop only.
 */
public final class TranscribeSocket {
  private static final Logger LOG = LoggerFactory.getLogger(TranscribeSocket.class);

  private final StreamServices services;
  private final ServerWebSocket ws;
  private final StreamGuard guard;
  private LiveTranscriber transcriber;
  private AudioInput input;
  private StreamOptions options;
  private StreamRecording recording;
  private final String owner;
  private boolean configured;
  private boolean ending;
  private int malformed;

  public TranscribeSocket(StreamServices services, ServerWebSocket ws, String owner) {
    this.services = services;
    this.ws = ws;
    this.guard = new StreamGuard(services, ws, owner);
    this.owner = owner;
    guard.onClosed(this::stopped);
    guard.onBudgetOut(this::budgetOut);
    ws.textMessageHandler(this::onText);
    ws.binaryMessageHandler(this::onBinary);
    ws.exceptionHandler(err -> LOG.debug("stream {}: {}", guard.id(), err.toString()));
    guard.startIdleTimer(() -> guard.close(CloseReason.IDLE_TIMEOUT, (short) 1008, "idle_timeout"));
  }

  private void onText(String text) {
    guard.touch();
    JsonObject msg;
    try {
      msg = new JsonObject(text);
    } catch (DecodeException | ClassCastException e) {
      malformed("not a JSON object");
      return;
    }
    String type = msg.getString("type", "");
    if (!configured) {
      if (!"config".equals(type)) {
        malformed("the first message must be {\"type\":\"config\", ...}");
        return;
      }
      configure(msg);
      return;
    }
    switch (type) {
      case "keepalive" -> { }
      case "finalize" -> {
        long t0 = System.nanoTime();
        transcriber.flush(false).onSuccess(v -> send(new JsonObject().put("type", "finalized")
            .put("server_ms", (System.nanoTime() - t0) / 1_000_000)));
      }
      case "end" -> end();
      default -> malformed("unknown message type \"" + StreamOptions.clip(type) + "\"");
    }
  }

  private void onBinary(Buffer frame) {
    if (!configured) {
      malformed("audio before the config message");
      return;
    }
    if (!ending) {
      input.write(frame);
    }
  }

  private void configure(JsonObject c) {
    StreamOptions options;
    try {
      options = StreamOptions.parse(c);
    } catch (IllegalArgumentException e) {
      malformed(e.getMessage());
      return;
    }
    configured = true;
    guard.hold(true); // nothing is decoded, or read, before the quotas said yes
    guard.admit().onComplete(ar -> {
      if (ar.failed()) {
        error("server_error", "quota check failed: " + ar.cause().getMessage(), null);
        guard.close(CloseReason.SERVER_ERROR, (short) 1011, "server_error");
        return;
      }
      Optional<QuotaRefusal> refused = ar.result();
      if (refused.isPresent()) {
        quotaClose(refused.get().type().wireName());
        return;
      }
      start(options);
      send(new JsonObject().put("type", "ready").put("stream_id", guard.id()).put("sample_rate",
          LiveTranscriber.RATE));
      guard.hold(false);
    });
  }

  private void start(StreamOptions o) {
    var s = services.settings();
    options = o;
    if (o.save()) {
      recording = new StreamRecording(services.vertx(), services.dataDir(), owner, services.schedulerRequest());
    }
    transcriber = new LiveTranscriber(new LiveTranscriber.Settings(o.model(), o.language(), o.interim(),
        o.endpointingMs(), EnergyVad.snrForThreshold(0.5), services.samples(s.step()), services.samples(s.maxWindow()),
        services.samples(s.maxLag()), true), services::decode, new Events());
    java.util.function.Consumer<float[]> sink = samples -> {
      guard.audio(samples.length / (double) LiveTranscriber.RATE);
      if (recording != null) {
        recording.audio(samples);
      }
      transcriber.accept(samples);
    };
    input = o.encoding().compressed() ? new FfmpegInput(services.vertx(), sink)
        : AudioInput.raw(o.encoding(), o.sampleRate(), sink);
  }

  private final class Events implements LiveTranscriber.Events {
    @Override
    public void partial(String text, double start, double end) {
      send(new JsonObject().put("type", "partial").put("text", text).put("start", start).put("end", end));
    }

    @Override
    public void finalSegment(LiveTranscriber.Segment s, boolean speechFinal) {
      if (recording != null) {
        recording.segment(s);
      }
      JsonArray words = new JsonArray();
      s.words().forEach(w -> words.add(new JsonObject().put("word", w.text())
          .put("start", LiveTranscriber.seconds(w.start())).put("end", LiveTranscriber.seconds(w.end()))));
      send(new JsonObject().put("type", "final").put("speech_final", speechFinal).put("segment", new JsonObject()
          .put("id", s.id()).put("start", s.start()).put("end", s.end()).put("text", s.text()).put("words", words)));
    }

    @Override
    public void lag(double seconds, boolean pause) {
      guard.hold(pause);
      if (pause) {
        send(new JsonObject().put("type", "lag").put("seconds", Math.round(seconds * 100) / 100.0));
      }
    }

    @Override
    public void failed(Throwable err) {
      error("server_error", "transcription failed: " + err.getMessage(), null);
      guard.close(CloseReason.SERVER_ERROR, (short) 1011, "server_error");
    }

    @Override
    public void latency(boolean firstPartial, double seconds) {
      if (firstPartial) {
        services.metrics().firstPartial(seconds);
      } else {
        services.metrics().finalLatency(seconds);
      }
    }
  }

  private void end() {
    if (ending) {
      return;
    }
    ending = true;
    double[] seconds = new double[1];
    input.end().compose(v -> transcriber.flush(true)).compose(v -> {
      seconds[0] = Math.round(transcriber.receivedSeconds() * 1000) / 1000.0;
      JsonObject done = new JsonObject().put("type", "done").put("duration_seconds", seconds[0]);
      if (recording == null) {
        return io.vertx.core.Future.succeededFuture(done);
      }
      StreamRecording saving = recording;
      recording = null; // kept: not discarded when the socket closes
      return saving.save(options.model(), options.language(), seconds[0]).map(id -> done.put("job_id", id))
          .recover(err -> io.vertx.core.Future.succeededFuture(done.put("save_error", err.getMessage())));
    }).onComplete(ar -> {
      send(ar.succeeded() ? ar.result() : new JsonObject().put("type", "done"));
      guard.close(CloseReason.END, (short) 1000, "done");
    });
  }

  /** The owner's daily minutes ran out: the last final, then the error, then 4003. */
  private void budgetOut() {
    if (ending) {
      return;
    }
    ending = true;
    guard.hold(true); // the last flush: no more audio, and not idle while it runs
    transcriber.flush(true).onComplete(ar -> quotaClose("daily_minutes"));
  }

  private void quotaClose(String quota) {
    error("quota_exceeded", "the " + quota + " quota is exhausted", quota);
    guard.close(CloseReason.QUOTA_EXCEEDED, StreamGuard.QUOTA_CLOSE, StreamGuard.QUOTA_REASON);
  }

  private void malformed(String why) {
    malformed++;
    error("invalid_message", why, null);
    if (malformed >= 2) {
      guard.close(CloseReason.PROTOCOL_ERROR, (short) 1003, "malformed frames");
    }
  }

  private void error(String errorType, String message, String quota) {
    JsonObject e = new JsonObject().put("type", "error").put("error_type", errorType).put("message", message);
    if (quota != null) {
      e.put("quota", quota);
    }
    send(e);
  }

  private void send(JsonObject msg) {
    if (!ws.isClosed()) {
      ws.writeTextMessage(msg.encode());
    }
  }

  private void stopped() {
    if (transcriber != null) {
      transcriber.stop();
    }
    if (input != null) {
      input.close();
    }
    if (recording != null) {
      recording.discard(); // only a stream that ended with "end" is saved
    }
  }
}

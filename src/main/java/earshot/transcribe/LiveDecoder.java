package earshot.transcribe;

import earshot.bus.Addresses;
import earshot.bus.Failures;
import earshot.bus.StreamDecode;
import earshot.bus.StreamDecoded;
import earshot.config.EarshotConfig;
import earshot.jobs.PermanentStageException;
import earshot.jobs.RetryableStageException;
import earshot.transcribe.WhisperEngine.DecodeOptions;
import earshot.transcribe.WhisperEngine.Sampling;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.Message;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The transcriber's side of live streams: answers {@link Addresses#STREAM_DECODE}, one decode pass of a stream's
 * rolling buffer per request. Each pass takes a whisper state of the node's shared engine through its live lane
 * (ahead of batch windows) and frees it when the pass ends, so a stream holds no state between passes and the
 * engine's cap holds for streams and jobs together. Passes decode greedily with no temperature fallback (a pass must
 * cost bounded time; the next pass corrects it), and suppress blank and non-speech tokens.
 *
 * <p>Threading: an event-loop verticle; every pass (model lookup, native decode) runs on its own worker pool, sized
 * to the engine's state cap, unordered, so passes of different streams run in parallel.
 */
public final class LiveDecoder extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(LiveDecoder.class);
  /** How long a pass waits for a decoder state before the stream is told the node is busy (it retries). */
  static final Duration STATE_WAIT = Duration.ofSeconds(10);
  private static final Sampling LIVE = new Sampling(1, 1, 0f, 0f);

  private final EarshotConfig.Audio audio;
  private final WhisperEngine engine;
  private final ModelRegistry models;
  private WorkerExecutor pool;

  public LiveDecoder(EarshotConfig.Audio audio, WhisperEngine engine) {
    this.audio = audio;
    this.engine = engine;
    this.models = new ModelRegistry(audio.modelsDir(), audio.defaultModel());
  }

  @Override
  public Future<?> start() {
    pool = vertx.createSharedWorkerExecutor("earshot-live-decode", audio.whisper().maxStates());
    return vertx.eventBus().<Buffer>consumer(Addresses.STREAM_DECODE, this::onDecode).completion();
  }

  @Override
  public Future<?> stop() {
    return pool == null ? Future.succeededFuture() : pool.close();
  }

  private void onDecode(Message<Buffer> m) {
    StreamDecode request = StreamDecode.fromMessage(m);
    pool.executeBlocking(() -> decode(request), false)
        .onSuccess(reply -> m.reply(reply.toJson()))
        .onFailure(err -> {
          if (err instanceof PermanentStageException) {
            m.fail(Failures.UNPROCESSABLE, err.getMessage());
          } else {
            if (!(err instanceof RetryableStageException)) {
              LOG.warn("live decode pass failed", err);
            }
            m.fail(Failures.UNAVAILABLE, String.valueOf(err.getMessage()));
          }
        });
  }

  private StreamDecoded decode(StreamDecode request) throws InterruptedException {
    long started = System.nanoTime();
    java.nio.file.Path file = models.resolve(request.model());
    float[] samples = samples(request.pcm());
    DecodeOptions options = new DecodeOptions(Languages.orAuto(request.language()), false, request.prompt(),
        LIVE, audio.whisper().threads(), false, true);
    WhisperEngine.Result result;
    try (WhisperEngine.Session session = engine.openLive(file, STATE_WAIT)) {
      result = session.transcribe(samples, options);
    }
    List<StreamDecoded.Segment> segments = result.segments().stream()
        .map(s -> new StreamDecoded.Segment(s.startMs(), s.endMs(), s.text()))
        .toList();
    return new StreamDecoded(segments, (System.nanoTime() - started) / 1_000_000);
  }

  static float[] samples(Buffer pcm) {
    FloatBuffer fb = java.nio.ByteBuffer.wrap(pcm.getBytes()).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
    float[] out = new float[fb.remaining()];
    fb.get(out);
    return out;
  }
}

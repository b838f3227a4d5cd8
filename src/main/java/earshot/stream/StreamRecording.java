package earshot.stream;

import earshot.bus.Addresses;
import earshot.bus.HandOffCodec;
import earshot.bus.SubmitJob;
import earshot.bus.Submitted;
import earshot.jobs.JobUuids;
import earshot.jobs.PayloadKeys;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.file.AsyncFile;
import io.vertx.core.file.OpenOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;

/**
 * A stream opened with {@code "save": true}: its audio is written as it arrives (16 kHz mono 16-bit WAV, to
 * {@code data_dir/results/<uuid>/stream.wav}, with Vert.x's async file I/O), its finals are kept, and at the end both
 * become a job that skips conversion and transcription ({@link PayloadKeys#STREAMED}): the CPU runner chunks and
 * stores it like any job, so its result renders in every format.
 *
 * <p>Threading: the stream's event loop; file writes are asynchronous.
 */
final class StreamRecording {
  private final Vertx vertx;
  private final String owner;
  private final String uuid = JobUuids.next().toString();
  private final Path file;
  private final JsonArray segments = new JsonArray();
  private final StringBuilder text = new StringBuilder();
  private final Future<AsyncFile> opened;
  private final DeliveryOptions submit;
  private long bytes;

  StreamRecording(Vertx vertx, Path dataDir, String owner, DeliveryOptions schedulerRequest) {
    this.vertx = vertx;
    this.owner = owner;
    this.submit = HandOffCodec.options().setSendTimeout(schedulerRequest.getSendTimeout());
    Path dir = dataDir.resolve("results").resolve(uuid);
    this.file = dir.resolve("stream.wav");
    this.opened = vertx.fileSystem().mkdirs(dir.toString())
        .compose(v -> vertx.fileSystem().open(file.toString(), new OpenOptions().setWrite(true).setCreate(true)))
        .compose(f -> f.write(header(0)).map(f));
  }

  void audio(float[] samples) {
    Buffer b = Buffer.buffer(samples.length * 2);
    for (float s : samples) {
      b.appendShortLE((short) Math.round(Math.clamp(s, -1f, 1f) * 32767));
    }
    bytes += b.length();
    opened.onSuccess(f -> f.write(b));
  }

  void segment(LiveTranscriber.Segment s) {
    JsonArray words = new JsonArray();
    s.words().forEach(w -> words.add(new JsonObject().put("word", w.text())
        .put("start", LiveTranscriber.seconds(w.start())).put("end", LiveTranscriber.seconds(w.end()))));
    segments.add(new JsonObject().put("id", segments.size()).put("start", s.start()).put("end", s.end())
        .put("text", s.text()).put("words", words));
    text.append(text.isEmpty() ? "" : " ").append(s.text());
  }

  /** Finishes the file and submits the job; yields its id. */
  Future<Long> save(String model, String language, double seconds) {
    JsonObject transcript = new JsonObject().put("text", text.toString()).put("language", language)
        .put("duration", seconds).put("segments", segments).put("model", model == null ? "whisper-1" : model);
    JsonObject payload = new JsonObject().put(PayloadKeys.STREAMED, true).put(PayloadKeys.TRANSCRIPT, transcript)
        .put(PayloadKeys.DURATION_SECONDS, seconds).put(PayloadKeys.STREAM_AUDIO, file.toString())
        .put(PayloadKeys.LANGUAGE, language).put(PayloadKeys.MODEL, model);
    return opened
        .compose(f -> f.write(header(bytes), 0).compose(v -> f.close()))
        .compose(v -> vertx.eventBus().<JsonObject>request(Addresses.JOBS_SUBMIT,
            new SubmitJob(owner, payload, 0, null, null, uuid).toJson(), submit))
        .map(m -> Submitted.fromJson(m.body()))
        .compose(s -> s.job() != null ? Future.succeededFuture(s.job().id())
            : Future.failedFuture("the job was refused: " + s.refusal().jobError()));
  }

  /** Drops the audio of a stream that did not end normally. */
  void discard() {
    opened.onSuccess(f -> f.close().onComplete(ar -> vertx.fileSystem().deleteRecursive(file.getParent().toString())));
  }

  private static Buffer header(long dataBytes) {
    int rate = LiveTranscriber.RATE;
    return Buffer.buffer().appendString("RIFF").appendIntLE((int) (36 + dataBytes)).appendString("WAVEfmt ")
        .appendIntLE(16).appendShortLE((short) 1).appendShortLE((short) 1).appendIntLE(rate).appendIntLE(rate * 2)
        .appendShortLE((short) 2).appendShortLE((short) 16).appendString("data").appendIntLE((int) dataBytes);
  }
}

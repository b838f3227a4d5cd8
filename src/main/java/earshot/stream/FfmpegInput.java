package earshot.stream;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import ws.schild.jave.process.ffmpeg.DefaultFFMPEGLocator;

/**
 * Compressed live audio (Ogg/Opus, or WebM/Opus as browsers' MediaRecorder makes it) decoded as a stream: the frames
 * are piped into jave's bundled ffmpeg on stdin, which writes 16 kHz mono {@code f32le} on stdout as it goes.
 *
 * <p>Threading: the process is started and fed by one virtual thread and read by another (all blocking I/O);
 * decoded samples are handed to the sink on the stream's event-loop context.
 */
public final class FfmpegInput implements AudioInput {
  private static final Logger LOG = LoggerFactory.getLogger(FfmpegInput.class);
  private static final byte[] EOF = new byte[0];

  private final Context context;
  private final Consumer<float[]> sink;
  private final LinkedBlockingQueue<byte[]> toFfmpeg = new LinkedBlockingQueue<>();
  private final Promise<Void> drained;
  private volatile Process process;
  private volatile boolean closed;

  public FfmpegInput(Vertx vertx, Consumer<float[]> sink) {
    this.context = vertx.getOrCreateContext();
    this.sink = sink;
    this.drained = Promise.promise();
    Thread.ofVirtual().name("earshot-stream-ffmpeg").start(this::run);
  }

  static List<String> command(String ffmpeg) {
    return List.of(ffmpeg, "-nostats", "-hide_banner", "-v", "error", "-i", "pipe:0", "-vn", "-ac", "1",
        "-ar", Integer.toString(LiveTranscriber.RATE), "-f", "f32le", "-acodec", "pcm_f32le", "pipe:1");
  }

  private void run() {
    try {
      Process p = new ProcessBuilder(command(new DefaultFFMPEGLocator().getExecutablePath()))
          .redirectError(ProcessBuilder.Redirect.DISCARD).start();
      process = p;
      if (closed) {
        p.destroyForcibly();
        return;
      }
      Thread.ofVirtual().name("earshot-stream-ffmpeg-out").start(() -> read(p.getInputStream()));
      try (OutputStream in = p.getOutputStream()) {
        for (byte[] chunk = toFfmpeg.take(); chunk != EOF && !closed; chunk = toFfmpeg.take()) {
          in.write(chunk);
          in.flush();
        }
      }
    } catch (IOException | InterruptedException e) {
      if (!closed) {
        LOG.info("stream ffmpeg input ended: {}", e.toString());
      }
      context.runOnContext(v -> drained.tryComplete());
    }
  }

  private void read(InputStream out) {
    byte[] chunk = new byte[16_000];
    int held = 0;
    try (out) {
      for (int n = out.read(chunk, held, chunk.length - held); n >= 0; n = out.read(chunk, held, chunk.length - held)) {
        held += n;
        int whole = held / 4 * 4;
        if (whole > 0) {
          float[] samples = new float[whole / 4];
          ByteBuffer.wrap(chunk, 0, whole).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(samples);
          System.arraycopy(chunk, whole, chunk, 0, held - whole);
          held -= whole;
          context.runOnContext(v -> {
            if (!closed) {
              sink.accept(samples);
            }
          });
        }
      }
    } catch (IOException e) {
      if (!closed) {
        LOG.info("stream ffmpeg output ended: {}", e.toString());
      }
    }
    context.runOnContext(v -> drained.tryComplete());
  }

  @Override
  public void write(Buffer frame) {
    if (!closed) {
      toFfmpeg.add(frame.getBytes());
    }
  }

  @Override
  public Future<Void> end() {
    toFfmpeg.add(EOF);
    return drained.future();
  }

  @Override
  public void close() {
    closed = true;
    toFfmpeg.add(EOF);
    Process p = process;
    if (p != null) {
      p.destroyForcibly();
    }
    drained.tryComplete();
  }
}

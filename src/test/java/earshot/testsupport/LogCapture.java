package earshot.testsupport;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Captures the log while a test runs. slf4j-simple (Earshot's and Vert.x's logger here) prints each event to whatever
 * {@code System.err} is at that moment, so this swaps in a stream that keeps a copy and still passes everything on.
 * Use it in try-with-resources; the test JVM runs one test at a time.
 */
public final class LogCapture implements AutoCloseable {
  private final PrintStream original = System.err;
  private final ByteArrayOutputStream copy = new ByteArrayOutputStream();

  private LogCapture() {
    OutputStream tee = new OutputStream() {
      @Override
      public void write(int b) {
        synchronized (copy) {
          copy.write(b);
        }
        original.write(b);
      }

      @Override
      public void write(byte[] b, int off, int len) {
        synchronized (copy) {
          copy.write(b, off, len);
        }
        original.write(b, off, len);
      }

      @Override
      public void flush() {
        original.flush();
      }
    };
    System.setErr(new PrintStream(tee, true, StandardCharsets.UTF_8));
  }

  public static LogCapture start() {
    return new LogCapture();
  }

  /** Every line logged so far (stack-trace lines included). */
  public List<String> lines() {
    synchronized (copy) {
      return copy.toString(StandardCharsets.UTF_8).lines().toList();
    }
  }

  /** The event lines at {@code level} (ERROR, WARN, INFO, ...), as slf4j-simple brackets them. */
  public List<String> at(String level) {
    return lines().stream().filter(l -> l.contains("[" + level + "]")).toList();
  }

  @Override
  public void close() {
    System.setErr(original);
  }
}

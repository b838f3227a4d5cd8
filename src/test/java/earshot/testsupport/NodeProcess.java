package earshot.testsupport;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One Earshot node in a JVM of its own ({@link NodeMain} on the test class path), for tests that kill, pause and
 * start nodes: its output goes to a log file, its HTTP port is chosen by the caller, and it dies with the test JVM.
 */
public final class NodeProcess {
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private final String name;
  private final Process process;
  private final int httpPort;
  private final Path log;
  private final Map<String, String> env;
  private final List<String> args;

  private NodeProcess(String name, Process process, int httpPort, Path log, Map<String, String> env,
                      List<String> args) {
    this.name = name;
    this.process = process;
    this.httpPort = httpPort;
    this.log = log;
    this.env = env;
    this.args = args;
  }

  /** The same node started again (same settings and ports) once this one has exited. */
  public NodeProcess restart() throws IOException {
    if (process.isAlive()) {
      throw new IllegalStateException(name + " still runs");
    }
    return start(name, env, httpPort, log.getParent(), args);
  }

  /** Starts a node with {@code env} (the node's whole Earshot configuration) and HTTP on {@code httpPort}. */
  public static NodeProcess start(String name, Map<String, String> env, int httpPort, Path logDir, List<String> args)
      throws IOException {
    String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "--enable-native-access=ALL-UNNAMED", "-Xmx320m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
        "-Djava.io.tmpdir=" + System.getProperty("java.io.tmpdir"), "-cp", classPath, NodeMain.class.getName()));
    cmd.addAll(args);
    Files.createDirectories(logDir);
    Path log = logDir.resolve(name + ".log");
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    pb.environment().keySet().removeIf(k -> k.startsWith("EARSHOT_") || k.startsWith("JOBS_")
        || k.startsWith("WHISPER_") || k.startsWith("AUDIO_") || k.equals("REDIS_URL"));
    pb.environment().putAll(env);
    pb.environment().put("EARSHOT_HTTP_PORT", Integer.toString(httpPort));
    return new NodeProcess(name, pb.start(), httpPort, log, Map.copyOf(env), List.copyOf(args));
  }

  public String name() {
    return name;
  }

  public long pid() {
    return process.pid();
  }

  public int httpPort() {
    return httpPort;
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** Waits until {@code GET /ready} answers 200, failing early with the log when the process exits. */
  public void awaitReady(Duration within) {
    long deadline = System.nanoTime() + within.toNanos();
    while (status("/ready") != 200) {
      if (!process.isAlive()) {
        throw new AssertionError(name + " exited with " + process.exitValue() + ":\n" + logTail());
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError(name + " was not ready within " + within + ":\n" + logTail());
      }
      pause(Duration.ofMillis(200));
    }
  }

  /** The polling interval of a deadline-bounded wait, not synchronisation. */
  static void pause(Duration d) {
    try {
      Thread.sleep(d);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  /** The HTTP status of a GET on this node, or -1 when nothing answers. */
  public int status(String path) {
    try {
      return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + path))
          .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  /** kill -9. */
  public void kill() throws InterruptedException {
    process.destroyForcibly().waitFor();
  }

  /** SIGTERM, and the exit code once it has stopped. */
  public int stop(Duration within) throws InterruptedException {
    process.destroy();
    if (!process.waitFor(within.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
      process.destroyForcibly().waitFor();
      throw new AssertionError(name + " did not stop within " + within + ":\n" + logTail());
    }
    return process.exitValue();
  }

  /** Waits for the process to exit by itself; its exit code. */
  public int awaitExit(Duration within) throws InterruptedException {
    if (!process.waitFor(within.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
      throw new AssertionError(name + " is still running after " + within + ":\n" + logTail());
    }
    return process.exitValue();
  }

  /** SIGSTOP: the process stays, frozen, holding its leases and sockets. */
  public void freeze() throws IOException, InterruptedException {
    signal("STOP");
  }

  /** SIGCONT. */
  public void thaw() throws IOException, InterruptedException {
    signal("CONT");
  }

  private void signal(String sig) throws IOException, InterruptedException {
    int rc = new ProcessBuilder("kill", "-" + sig, Long.toString(process.pid())).inheritIO().start().waitFor();
    if (rc != 0) {
      throw new IOException("kill -" + sig + " " + process.pid() + " exited with " + rc);
    }
  }

  public String logText() {
    try {
      return Files.readString(log, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  public String logTail() {
    String text = logText();
    return text.length() <= 6000 ? text : "..." + text.substring(text.length() - 6000);
  }

  /** kill -9 if still running (test clean-up). */
  public void destroy() {
    process.destroyForcibly();
    try {
      process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}

package earshot.deploy;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs Prometheus's {@code promtool}. When it is missing and this process is root on a machine with apt (a clean CI
 * machine), it installs the Debian package {@code prometheus}, which has it; otherwise the test fails and says how
 * to get it.
 */
final class Promtool {
  record Result(int exitCode, String output) {}

  private static Path binary;

  private Promtool() {}

  /** {@code promtool args...} in {@code dir}, given at most two minutes. */
  static Result run(Path dir, String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(binary().toString());
    command.addAll(List.of(args));
    return exec(dir, command, 120);
  }

  private static synchronized Path binary() throws IOException, InterruptedException {
    if (binary == null) {
      binary = onPath();
      if (binary == null) {
        install();
        binary = onPath();
      }
      if (binary == null) {
        fail("promtool is not installed and could not be installed here: install the Debian/Ubuntu package"
            + " 'prometheus' (apt-get install prometheus) or put promtool from a Prometheus release on PATH");
      }
    }
    return binary;
  }

  private static Path onPath() {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
      Path candidate = Path.of(dir, "promtool");
      if (Files.isExecutable(candidate)) {
        return candidate;
      }
    }
    return null;
  }

  private static void install() throws IOException, InterruptedException {
    boolean root = "0".equals(exec(null, List.of("id", "-u"), 10).output().strip());
    if (!root || onPathNamed("apt-get") == null) {
      fail("promtool is missing; this test installs it with apt-get only when it runs as root on a machine with apt."
          + " Install the package 'prometheus' (apt-get install prometheus), or put promtool on PATH");
    }
    Result update = exec(null, List.of("apt-get", "update", "-q"), 300);
    Result installed = exec(null, List.of("apt-get", "install", "-y", "-q", "--no-install-recommends", "prometheus"),
        600);
    if (installed.exitCode() != 0) {
      fail("apt-get install prometheus failed (" + installed.exitCode() + "):\n" + update.output() + installed.output());
    }
  }

  private static Path onPathNamed(String name) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
      if (Files.isExecutable(Path.of(dir, name))) {
        return Path.of(dir, name);
      }
    }
    return null;
  }

  private static Result exec(Path dir, List<String> command, int timeoutSeconds)
      throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    if (dir != null) {
      pb.directory(dir.toFile());
    }
    pb.environment().put("DEBIAN_FRONTEND", "noninteractive");
    Process p = pb.start();
    // Read while it runs, so a chatty command never blocks on a full pipe.
    var output = new java.util.concurrent.CompletableFuture<String>();
    Thread.ofVirtual().start(() -> {
      try {
        output.complete(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
      } catch (IOException e) {
        output.complete("(output unreadable: " + e + ")");
      }
    });
    if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      fail(String.join(" ", command) + " did not finish in " + timeoutSeconds + " s");
    }
    return new Result(p.exitValue(), output.join());
  }
}

package earshot.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import earshot.config.ConfigLoader;
import earshot.testsupport.Deadlines;
import earshot.transcribe.SyntheticModel;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What can be checked of the images without a Docker daemon: every path the Dockerfiles copy exists after the build
 * (and is not left out by .dockerignore), their ENV names settings Earshot reads, they run as a user with a health
 * check on /ready, and the CPU image's entrypoint, with the image's ENV, starts Earshot on this machine.
 */
class DockerfileTest {
  static final Path CPU = Path.of("Dockerfile");
  static final Path GPU = Path.of("Dockerfile.gpu");
  /** Variables of the base images and the JVM, not Earshot settings. */
  static final Set<String> NOT_SETTINGS = Set.of("JAVA_OPTS", "JAVA_HOME", "PATH", "NVIDIA_VISIBLE_DEVICES",
      "NVIDIA_DRIVER_CAPABILITIES");
  static final Duration START = Deadlines.loaded(Duration.ofSeconds(20));

  @TempDir
  Path tempDir;

  @Test
  void everyPathCopiedFromTheContextExistsAndIsNotIgnored() throws Exception {
    List<String> ignored = Files.readAllLines(Path.of(".dockerignore")).stream()
        .map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
    for (Path file : List.of(CPU, GPU)) {
      for (Dockerfiles.Stage stage : Dockerfiles.read(file).stages()) {
        for (Dockerfiles.Copy copy : stage.copies()) {
          if (copy.from() != null) {
            continue;
          }
          for (String source : copy.sources()) {
            assertTrue(Files.exists(Path.of(source)), file + " copies missing " + source);
            for (String rule : ignored) {
              String prefix = rule.endsWith("/") ? rule : rule + "/";
              assertTrue(!(source + "/").startsWith(prefix), file + " copies " + source + ", which .dockerignore leaves out");
            }
          }
        }
      }
    }
  }

  @Test
  void whatTheRuntimeStagesCopyFromTheBuildStagesIsWhatTheyBuild() throws Exception {
    for (Path file : List.of(CPU, GPU)) {
      Dockerfiles d = Dockerfiles.read(file);
      Dockerfiles.Stage build = d.stage("build");
      assertEquals("/src", build.workdir());
      Dockerfiles.Copy jar = d.stages().getLast().copies().stream().filter(c -> "build".equals(c.from()))
          .findFirst().orElseThrow();
      // Maven's package writes target/<finalName>.jar, shaded with the main class, in the build stage's /src.
      assertEquals(List.of("/src/target/earshot.jar"), jar.sources(), file.toString());
      String pom = Files.readString(Path.of("pom.xml"));
      assertTrue(pom.contains("<finalName>earshot</finalName>") && pom.contains("maven-shade-plugin")
          && pom.contains("<main.class>earshot.Main</main.class>"), "pom.xml no longer builds target/earshot.jar");
      assertTrue(d.instructions().get("RUN").stream().anyMatch(r -> r.contains("mvn") && r.contains("package")));
    }
    Dockerfiles gpu = Dockerfiles.read(GPU);
    Dockerfiles.Copy libs = gpu.stages().getLast().copies().stream().filter(c -> "whisper".equals(c.from()))
        .findFirst().orElseThrow();
    assertEquals(List.of("/build/out/lib/"), libs.sources());
    assertTrue(gpu.instructions().get("RUN").stream().anyMatch(r -> r.contains("/build/build-whisper-cuda.sh /build/out")));
    String script = Files.readString(Path.of("scripts/build-whisper-cuda.sh"));
    assertTrue(script.contains("\"$OUT/lib/\"") && script.contains("libwhisper.so.1"), "the script's output moved");
    assertEquals(libs.destination().replaceAll("/$", ""), gpu.env().get("WHISPER_LIBRARY_DIR"),
        "WHISPER_LIBRARY_DIR must name where the CUDA libraries are copied");
    assertTrue(script.contains("GGML_CUDA=ON") && script.contains("WHISPER_TAG=v1.7.1"));
  }

  @Test
  void imagesRunAsAUserWithAHealthCheckOnReadyAndExposeTheirPorts() throws Exception {
    for (Path file : List.of(CPU, GPU)) {
      Dockerfiles d = Dockerfiles.read(file);
      assertTrue(d.last("USER") != null && !d.last("USER").equals("root") && !d.last("USER").equals("0"), file + " runs as root");
      assertTrue(d.last("HEALTHCHECK").contains("/ready"), file + ": " + d.last("HEALTHCHECK"));
      assertTrue(d.last("VOLUME").contains("/data") && d.last("VOLUME").contains("/models"));
      assertEquals(Set.of("8080", "5701", "5702"), Set.of(d.last("EXPOSE").split("\\s+")));
    }
  }

  @Test
  void everyEnvOfTheImagesIsASettingEarshotReads() throws Exception {
    Set<String> unknown = new TreeSet<>();
    for (Path file : List.of(CPU, GPU)) {
      for (String name : Dockerfiles.read(file).env().keySet()) {
        if (!ConfigLoader.envNames().contains(name)
            && !NOT_SETTINGS.contains(name)) {
          unknown.add(file + ": " + name);
        }
      }
    }
    assertEquals(Set.of(), unknown);
  }

  /**
   * Runs the CPU image's ENTRYPOINT + CMD with the image's ENV, as Docker would, except: /data and /models are temp
   * directories, the port is a free one, java is this JDK's, and {@code -jar /app/earshot.jar} is the classes this
   * build compiled ({@code mvn test} makes no jar; the pom test above ties the jar's main class to earshot.Main).
   * Then the image's own HEALTHCHECK command must pass against it.
   */
  @Test
  void theEntrypointStartsEarshotWithTheImagesEnvironment() throws Exception {
    Dockerfiles d = Dockerfiles.read(CPU);
    List<String> command = new ArrayList<>(d.command());
    assertEquals(List.of("sh", "-c"), command.subList(0, 2), "the entrypoint form changed: " + command);
    String script = command.get(2);
    assertTrue(script.contains("-jar /app/earshot.jar"), script);
    command.set(2, script.replace("-jar /app/earshot.jar", "-cp \"$EARSHOT_TEST_CLASSPATH\" earshot.Main"));

    Path data = Files.createDirectories(tempDir.resolve("data"));
    Path models = Files.createDirectories(tempDir.resolve("models"));
    SyntheticModel.write(models.resolve("ggml-base.bin"), SyntheticModel.Spec.tiny());
    int port = freePort();
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(tempDir.resolve("earshot.log").toFile());
    Map<String, String> env = pb.environment();
    env.keySet().removeIf(k -> !Set.of("HOME", "LANG", "TMPDIR").contains(k)); // only what the image sets
    d.env().forEach((k, v) -> env.put(k, v.replace("/data", data.toString()).replace("/models", models.toString())));
    env.put("EARSHOT_HTTP_PORT", Integer.toString(port));
    env.put("PATH", Path.of(System.getProperty("java.home"), "bin") + ":/usr/bin:/bin");
    env.put("EARSHOT_TEST_CLASSPATH", System.getProperty("java.class.path"));
    assertEquals("sqlite:///" + data + "/earshot.db", env.get("JOBS_DB_URL"));

    Process p = pb.start();
    try {
      HttpClient http = HttpClient.newHttpClient();
      String base = "http://127.0.0.1:" + port;
      earshot.testsupport.Await.until("the node started from the entrypoint to be ready", START, () -> {
        if (!p.isAlive()) {
          throw new AssertionError("earshot exited " + p.exitValue() + ":\n" + log());
        }
        return status(http, base + "/ready") == 200;
      });
      String metrics = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
          HttpResponse.BodyHandlers.ofString()).body();
      assertTrue(metrics.contains("cluster_members{node=\""), "metrics carry the node label:\n" + metrics);
      assertTrue(Files.exists(data.resolve("earshot.db")), "the store went to the image's data volume");
      // The image's own health check, run as Docker runs a CMD health check: through a shell, with the image's ENV.
      String check = d.last("HEALTHCHECK").replaceFirst("^.*?CMD\\s+", "");
      ProcessBuilder healthCheck = new ProcessBuilder("sh", "-c", check).redirectErrorStream(true)
          .redirectOutput(tempDir.resolve("healthcheck.log").toFile());
      healthCheck.environment().put("EARSHOT_HTTP_PORT", Integer.toString(port));
      Process health = healthCheck.start();
      assertTrue(health.waitFor(30, TimeUnit.SECONDS), "the health check hung");
      assertEquals(0, health.exitValue(), check + ": " + Files.readString(tempDir.resolve("healthcheck.log")));
    } finally {
      p.destroy(); // SIGTERM, as docker stop sends
      if (!p.waitFor(Deadlines.WAIT.toSeconds(), TimeUnit.SECONDS)) {
        p.destroyForcibly();
      }
    }
  }

  private String log() {
    try {
      return Files.readString(tempDir.resolve("earshot.log"));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  private static int status(HttpClient http, String url) {
    try {
      return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
          HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (IOException e) {
      return -1; // not listening yet
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}

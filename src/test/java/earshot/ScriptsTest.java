package earshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The README's set-up promise: scripts/jdk.sh finds or downloads a JDK 25 and picks a Maven, and scripts/run.sh builds
 * only when the jar is stale. Each test copies the scripts into a temporary project and runs them with bash, with
 * fake java and mvn executables (shell scripts) and file:// downloads, so nothing here builds or reaches a network.
 */
class ScriptsTest {
  private static final String JDK_NAME = "jdk-25.0.1+8";

  @TempDir Path project;
  @TempDir Path outside;

  @BeforeEach
  void copyScripts() throws IOException {
    for (String file : List.of("scripts/jdk.sh", "scripts/run.sh", "mvnw", ".mvn/wrapper/maven-wrapper.properties")) {
      Path target = project.resolve(file);
      Files.createDirectories(target.getParent());
      Files.copy(Path.of(file), target);
    }
  }

  // --- scripts/jdk.sh: the JDK ---

  @Test
  void withNoJdk25InstalledItDownloadsTheArchiveChecksItAndUsesIt() throws Exception {
    Path archive = jdkArchive(JDK_NAME, "bin");
    Result run = sourceJdkSh(downloadEnv(archive, sha256(archive)), "echo \"$JAVA_HOME\"; command -v java");

    assertEquals(0, run.exit(), run.stderr());
    Path home = project.resolve(".jdk").resolve(JDK_NAME);
    assertEquals(home + "\n" + home.resolve("bin/java") + "\n", run.stdout());
    assertTrue(run.stderr().contains("downloading Temurin 25 into .jdk/"), run.stderr());
    assertEquals(List.of(JDK_NAME), list(project.resolve(".jdk")), "the archive itself is not kept");
  }

  @Test
  void aLaterRunReusesTheDownloadInsteadOfFetchingAgain() throws Exception {
    Path archive = jdkArchive(JDK_NAME, "bin");
    Map<String, String> env = downloadEnv(archive, sha256(archive));
    assertEquals(0, sourceJdkSh(env, "true").exit());
    Files.delete(archive); // a second download would now fail

    Result again = sourceJdkSh(env, "echo \"$JAVA_HOME\"");

    assertEquals(0, again.exit(), again.stderr());
    assertEquals(project.resolve(".jdk").resolve(JDK_NAME) + "\n", again.stdout());
    assertFalse(again.stderr().contains("downloading"), again.stderr());
  }

  @Test
  void anArchiveWithTheWrongChecksumIsRefusedAndNothingIsKept() throws Exception {
    Path archive = jdkArchive(JDK_NAME, "bin");
    Result run = sourceJdkSh(downloadEnv(archive, "0".repeat(64)), "echo used");

    assertNotEquals(0, run.exit());
    assertFalse(run.stdout().contains("used"));
    List<String> refusals = run.stderr().lines().filter(l -> l.contains("refused")).toList();
    assertEquals(1, refusals.size(), run.stderr());
    assertTrue(refusals.getFirst().contains("SHA-256 is " + sha256(archive)), refusals.getFirst());
    assertFalse(Files.exists(project.resolve(".jdk")), "nothing of the refused download is left");
  }

  @Test
  void anArchiveWithoutAJdk25IsRefusedAndNothingIsKept() throws Exception {
    Path archive = jdkArchive("jdk-17.0.15+6", "bin", "17.0.15");
    Result run = sourceJdkSh(downloadEnv(archive, sha256(archive)), "echo used");

    assertNotEquals(0, run.exit());
    assertTrue(run.stderr().contains("holds no JDK 25"), run.stderr());
    assertFalse(Files.exists(project.resolve(".jdk")), "nothing of the download is left");
  }

  @Test
  void adoptiumMetadataGivesThePackageLinkAndChecksumNotTheInstallers() throws Exception {
    // macOS archives put the JDK under Contents/Home, and Adoptium's macOS entries list a .pkg installer first.
    Path archive = jdkArchive(JDK_NAME, "Contents/Home/bin");
    Path metadata = outside.resolve("assets.json");
    Files.writeString(metadata, """
        [
          {
            "binary": {
              "architecture": "aarch64",
              "image_type": "jdk",
              "installer": {
                "checksum": "%s",
                "checksum_link": "file:///nowhere/installer.pkg.sha256.txt",
                "link": "file:///nowhere/installer.pkg",
                "name": "OpenJDK25U-jdk_aarch64_mac_hotspot.pkg"
              },
              "os": "mac",
              "package": {
                "checksum": "%s",
                "checksum_link": "file:///nowhere/archive.tar.gz.sha256.txt",
                "download_count": 12,
                "link": "%s",
                "name": "OpenJDK25U-jdk_aarch64_mac_hotspot.tar.gz",
                "size": 1234
              }
            },
            "release_link": "file:///nowhere/release",
            "release_name": "jdk-25.0.1+8"
          }
        ]
        """.formatted("1".repeat(64), sha256(archive), archive.toUri()));
    Map<String, String> env = noJdkEnv();
    env.put("EARSHOT_JDK_API", metadata.toUri().toString());

    Result run = sourceJdkSh(env, "echo \"$JAVA_HOME\"");

    assertEquals(0, run.exit(), run.stderr());
    assertEquals(project.resolve(".jdk").resolve(JDK_NAME).resolve("Contents/Home") + "\n", run.stdout());
  }

  @Test
  void anInstalledJdk25IsUsedAndNothingIsDownloaded() throws Exception {
    Path installed = fakeJdk(outside.resolve("jvm").resolve("temurin-25-jdk"), "bin", "25.0.1");
    Path older = fakeJdk(outside.resolve("jvm").resolve("temurin-17-jdk"), "bin", "17.0.15");
    Map<String, String> env = noJdkEnv();
    env.put("JAVA_HOME", older.toString()); // not a 25: skipped
    env.put("EARSHOT_JDK_CANDIDATES", outside.resolve("jvm") + "/temurin-25-*");
    env.put("EARSHOT_JDK_URL", outside.resolve("missing.tar.gz").toUri().toString());
    env.put("EARSHOT_JDK_SHA256", "0".repeat(64));

    Result run = sourceJdkSh(env, "echo \"$JAVA_HOME\"");

    assertEquals(0, run.exit(), run.stderr());
    assertEquals(installed + "\n", run.stdout());
    assertFalse(Files.exists(project.resolve(".jdk")));
  }

  // --- scripts/jdk.sh: Maven ---

  @ParameterizedTest
  @CsvSource({"3.6.3, mvnw", "3.8.1, mvn", "3.9.11, mvn", "4.0.0-rc-4, mvn", "2.2.1, mvnw"})
  void mvnOnThePathIsUsedFrom38OnAndTheWrapperOtherwise(String version, String expected) throws Exception {
    Map<String, String> env = fakeToolsEnv(version);

    Result run = sourceJdkSh(env, "echo \"$EARSHOT_MVN\"");

    assertEquals(0, run.exit(), run.stderr());
    assertEquals((expected.equals("mvn") ? "mvn" : project.resolve("mvnw").toString()) + "\n", run.stdout());
  }

  @Test
  void withNoMvnOnThePathTheWrapperIsUsed() throws Exception {
    Map<String, String> env = fakeToolsEnv("3.9.11");
    env.put("PATH", pathWithout("mvn"));
    env.put("MAVEN_USER_HOME", outside.resolve("m2").toString()); // the wrapper has not fetched Maven yet

    Result run = sourceJdkSh(env, "echo \"$EARSHOT_MVN\"; command -v mvn || echo no-mvn");

    assertEquals(0, run.exit(), run.stderr());
    assertEquals(project.resolve("mvnw") + "\nno-mvn\n", run.stdout());
    assertTrue(run.stderr().contains("./mvnw downloads apache-maven-3.9.11"), run.stderr());
  }

  // --- scripts/run.sh: build only when stale ---

  @Test
  void aMissingJarIsBuiltBeforeStarting() throws Exception {
    writeSources(Instant.now().minus(1, ChronoUnit.HOURS));

    Result run = runSh();

    assertEquals(0, run.exit(), run.stderr());
    assertEquals("-B -q package -DskipTests\n", Files.readString(project.resolve("mvn.log")));
    assertTrue(run.stdout().contains(
        "fake java --enable-native-access=ALL-UNNAMED -jar target/earshot.jar --conf my.json"), run.stdout());
  }

  @Test
  void aJarNewerThanEverySourceIsStartedWithoutBuilding() throws Exception {
    Instant built = Instant.now().minus(30, ChronoUnit.MINUTES);
    writeSources(built.minus(30, ChronoUnit.MINUTES));
    writeJar(built);

    Result run = runSh();

    assertEquals(0, run.exit(), run.stderr());
    assertFalse(Files.exists(project.resolve("mvn.log")), "no build");
    assertTrue(run.stdout().contains("-jar target/earshot.jar --conf my.json"), run.stdout());
  }

  @ParameterizedTest
  @ValueSource(strings = {"src/main/java/earshot/Main.java", "src/main/resources/db/sqlite/001.sql", "pom.xml",
      "conf/earshot.json"})
  void aSourceChangedAfterTheJarRebuildsIt(String changed) throws Exception {
    Instant built = Instant.now().minus(30, ChronoUnit.MINUTES);
    writeSources(built.minus(30, ChronoUnit.MINUTES));
    writeJar(built);
    Files.setLastModifiedTime(project.resolve(changed), FileTime.from(built.plus(1, ChronoUnit.MINUTES)));

    Result run = runSh();

    assertEquals(0, run.exit(), run.stderr());
    assertEquals("-B -q package -DskipTests\n", Files.readString(project.resolve("mvn.log")));
    assertTrue(Files.getLastModifiedTime(project.resolve("target/earshot.jar")).toInstant().isAfter(built),
        "the rebuilt jar counts as fresh on the next start");
  }

  @Test
  void aDeletedSourceRebuildsTheJar() throws Exception {
    Instant built = Instant.now().minus(30, ChronoUnit.MINUTES);
    writeSources(built.minus(30, ChronoUnit.MINUTES));
    writeJar(built);
    Files.delete(project.resolve("src/main/java/earshot/Old.java")); // touches its directory

    Result run = runSh();

    assertEquals(0, run.exit(), run.stderr());
    assertTrue(Files.exists(project.resolve("mvn.log")), "a build");
  }

  // --- helpers ---

  private record Result(int exit, String stdout, String stderr) {}

  /** Sources scripts/jdk.sh as the other scripts do (set -euo pipefail), then runs {@code then}. */
  private Result sourceJdkSh(Map<String, String> env, String then) throws Exception {
    return bash(env, "-c", "set -euo pipefail; source scripts/jdk.sh; " + then);
  }

  private Result runSh() throws Exception {
    Map<String, String> env = fakeToolsEnv("3.9.11");
    env.put("MVN_LOG", project.resolve("mvn.log").toString());
    return bash(env, "scripts/run.sh", "--conf", "my.json");
  }

  private Result bash(Map<String, String> env, String... args) throws Exception {
    Path out = Files.createTempFile(outside, "out", ".txt");
    Path err = Files.createTempFile(outside, "err", ".txt");
    ProcessBuilder builder = new ProcessBuilder(Stream.concat(Stream.of("bash"), Stream.of(args)).toList())
        .directory(project.toFile())
        .redirectOutput(out.toFile())
        .redirectError(err.toFile());
    builder.environment().clear();
    builder.environment().putAll(env);
    Process process = builder.start();
    if (!process.waitFor(2, TimeUnit.MINUTES)) { // a deadline for a hung script, not a timing assertion
      process.destroyForcibly();
      throw new AssertionError("bash " + String.join(" ", args) + " did not finish: " + Files.readString(err));
    }
    return new Result(process.exitValue(), Files.readString(out), Files.readString(err));
  }

  /** The test JVM's environment without any JDK the scripts could find: no JAVA_HOME, no install paths. */
  private Map<String, String> noJdkEnv() {
    Map<String, String> env = new HashMap<>(System.getenv());
    env.keySet().removeIf(k -> k.equals("JAVA_HOME") || k.startsWith("EARSHOT_") || k.equals("MAVEN_OPTS"));
    env.put("EARSHOT_JDK_CANDIDATES", "");
    return env;
  }

  private Map<String, String> downloadEnv(Path archive, String sha256) {
    Map<String, String> env = noJdkEnv();
    env.put("EARSHOT_JDK_URL", archive.toUri().toString());
    env.put("EARSHOT_JDK_SHA256", sha256);
    return env;
  }

  /** A fake JDK 25 as JAVA_HOME, and first on PATH a fake mvn that reports {@code mvnVersion} and logs builds. */
  private Map<String, String> fakeToolsEnv(String mvnVersion) throws IOException {
    Map<String, String> env = noJdkEnv();
    env.put("JAVA_HOME", fakeJdk(outside.resolve("jdk25"), "bin", "25.0.1").toString());
    Path bin = Files.createDirectories(outside.resolve("fake-bin"));
    executable(bin.resolve("mvn"), """
        #!/bin/sh
        for arg in "$@"; do
          if [ "$arg" = -v ]; then
            printf '\\033[1mApache Maven %s (a fake)\\033[m\\nJava version: 25.0.1\\n'
            exit 0
          fi
        done
        echo "$*" >>"$MVN_LOG"
        mkdir -p target && : >target/earshot.jar
        """.formatted(mvnVersion));
    env.put("PATH", bin + File.pathSeparator + System.getenv("PATH"));
    return env;
  }

  /** A PATH of one directory that links every command of the current PATH except {@code hidden}. */
  private String pathWithout(String hidden) throws IOException {
    Path bin = Files.createDirectories(outside.resolve("path-without-" + hidden));
    for (String dir : System.getenv("PATH").split(File.pathSeparator)) {
      Path d = Path.of(dir);
      if (!Files.isDirectory(d)) {
        continue;
      }
      try (Stream<Path> commands = Files.list(d)) {
        for (Path command : commands.toList()) {
          Path link = bin.resolve(command.getFileName().toString());
          boolean wanted = !command.getFileName().toString().equals(hidden) && Files.isExecutable(command);
          if (wanted && !Files.exists(link, LinkOption.NOFOLLOW_LINKS)) {
            Files.createSymbolicLink(link, command.toAbsolutePath());
          }
        }
      }
    }
    return bin.toString();
  }

  /** A directory {@code top} whose {@code binDir} has a java that reports {@code version} and a javac; its home. */
  private Path fakeJdk(Path top, String binDir, String version) throws IOException {
    Path bin = Files.createDirectories(top.resolve(binDir));
    executable(bin.resolve("java"), """
        #!/bin/sh
        if [ "$1" = -version ]; then
          echo 'openjdk version "%s" 2025-10-21 LTS' >&2
          exit 0
        fi
        echo "fake java $*"
        """.formatted(version));
    executable(bin.resolve("javac"), "#!/bin/sh\n");
    return binDir.equals("bin") ? top : top.resolve(binDir).getParent();
  }

  /** A .tar.gz holding one directory {@code name} with a fake JDK 25, laid out as Temurin's archives are. */
  private Path jdkArchive(String name, String binDir) throws Exception {
    return jdkArchive(name, binDir, "25.0.1");
  }

  private Path jdkArchive(String name, String binDir, String version) throws Exception {
    Path staging = Files.createDirectories(outside.resolve("staging"));
    fakeJdk(staging.resolve(name), binDir, version);
    Path archive = outside.resolve("OpenJDK25U-jdk.tar.gz");
    Process tar = new ProcessBuilder("tar", "-czf", archive.toString(), "-C", staging.toString(), name)
        .inheritIO().start();
    assertEquals(0, tar.waitFor());
    return archive;
  }

  private void writeSources(Instant when) throws IOException {
    for (String file : List.of("src/main/java/earshot/Main.java", "src/main/java/earshot/Old.java",
        "src/main/resources/db/sqlite/001.sql", "pom.xml", "conf/earshot.json")) {
      Path path = project.resolve(file);
      Files.createDirectories(path.getParent());
      Files.writeString(path, file);
    }
    try (Stream<Path> tree = Stream.concat(Stream.of(project.resolve("src"), project.resolve("conf")),
        Files.walk(project.resolve("src")))) {
      for (Path path : Stream.concat(tree, Stream.of(project.resolve("pom.xml"), project.resolve("conf/earshot.json")))
          .toList()) {
        Files.setLastModifiedTime(path, FileTime.from(when));
      }
    }
  }

  private void writeJar(Instant when) throws IOException {
    Path jar = Files.createDirectories(project.resolve("target")).resolve("earshot.jar");
    Files.writeString(jar, "not really a jar");
    Files.setLastModifiedTime(jar, FileTime.from(when));
  }

  private static void executable(Path path, String text) throws IOException {
    Files.writeString(path, text, StandardCharsets.UTF_8);
    Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  private static List<String> list(Path dir) throws IOException {
    try (Stream<Path> entries = Files.list(dir)) {
      return entries.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  private static String sha256(Path file) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
  }
}

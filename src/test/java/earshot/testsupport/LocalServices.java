package earshot.testsupport;

import earshot.transcribe.SyntheticModel;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The services a local cluster needs, without Docker, for {@code scripts/run-cluster-local.sh}: the test suite's
 * embedded Postgres and Redis, and (when asked) the synthetic whisper model. Writes their settings as
 * {@code NAME=value} lines to the file named by its first argument, then runs until it is told to stop (SIGTERM),
 * and stops both servers.
 *
 * <p>Usage: {@code LocalServices ENV_FILE [SYNTHETIC_MODEL_FILE]}
 */
public final class LocalServices {
  private LocalServices() {}

  public static void main(String[] args) throws Exception {
    Path envFile = Path.of(args[0]);
    String postgres = Databases.postgresUrl();
    EmbeddedRedis redis = EmbeddedRedis.start();
    Runtime.getRuntime().addShutdownHook(new Thread(redis::close));
    if (args.length > 1) {
      Path model = Path.of(args[1]);
      Files.createDirectories(model.toAbsolutePath().getParent());
      SyntheticModel.write(model, SyntheticModel.Spec.tiny());
    }
    Path tmp = envFile.resolveSibling(envFile.getFileName() + ".tmp");
    Files.writeString(tmp, "JOBS_DB_URL=" + postgres + "\nREDIS_URL=" + redis.url() + "\n");
    Files.move(tmp, envFile, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    System.out.println("postgres " + postgres + ", redis " + redis.url());
    Thread.currentThread().join(); // until SIGTERM: the shutdown hooks stop Redis and Postgres
  }
}

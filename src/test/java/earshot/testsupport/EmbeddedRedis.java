package earshot.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import redis.embedded.RedisServer;

/**
 * A real redis-server (embedded-redis's bundled binary) on 127.0.0.1 and a free port, which a test can stop and start
 * again on the same port. Without {@code persistent} it keeps nothing across a restart; with it, every write goes to
 * an append-only file first (fsync always), so a restart comes back with the data it had.
 */
public final class EmbeddedRedis implements AutoCloseable {
  private final int port;
  private final RedisServer server;

  private EmbeddedRedis(int port, RedisServer server) {
    this.port = port;
    this.server = server;
  }

  public static EmbeddedRedis start() {
    return start(false);
  }

  public static EmbeddedRedis start(boolean persistent) {
    try {
      int port = freePort();
      var builder = RedisServer.newRedisServer().port(port).bind("127.0.0.1").setting("save \"\"");
      if (persistent) {
        Path dir = Files.createTempDirectory("redis-aof");
        builder.setting("dir " + dir).setting("appendonly yes").setting("appendfsync always");
      } else {
        builder.setting("appendonly no");
      }
      EmbeddedRedis redis = new EmbeddedRedis(port, builder.build());
      redis.server.start();
      return redis;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** {@code redis://127.0.0.1:port}; stays the same across {@link #stop()} and {@link #restart()}. */
  public String url() {
    return "redis://127.0.0.1:" + port;
  }

  /** Stops the server process; clients see refused connections until {@link #restart()}. */
  public void stop() {
    try {
      server.stop();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Starts the server again on the same port; returns once it accepts connections. */
  public void restart() {
    try {
      server.start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    if (server.isActive()) {
      stop();
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    }
  }
}

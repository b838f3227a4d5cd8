package earshot.testsupport;

import earshot.cluster.HazelcastSettings;
import earshot.config.EarshotConfig;
import earshot.transcribe.SyntheticModel;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * A cluster of Earshot nodes on loopback, each a JVM of its own ({@link NodeProcess}), joined over Hazelcast by a
 * TCP/IP member list of ports chosen here, sharing one job store, one data directory (the shared-volume layout) and
 * a models directory holding the synthetic model as {@code tiny}. The test JVM may join too, as a member that runs
 * no role ({@link #observer()}), to watch the events every node publishes.
 */
public final class LocalCluster implements AutoCloseable {
  public static final String API_KEY = "cluster-test-key-0123456789";
  public static final String MODEL = "tiny";

  private final Path dir;
  private final String name = "earshot-test-" + UUID.randomUUID().toString().substring(0, 8);
  private final List<Integer> memberPorts = new ArrayList<>();
  private final Map<String, String> env = new LinkedHashMap<>();
  private final List<NodeProcess> nodes = new ArrayList<>();
  private final List<String> args = new ArrayList<>();
  private int nextMember;
  private Vertx observer;

  /**
   * @param members how many nodes (the observer included) may ever join: each gets a Hazelcast port of its own
   * @param overrides settings for every node (environment names), over the defaults chosen here
   */
  public LocalCluster(Path dir, String storeUrl, int members, Map<String, String> overrides) throws IOException {
    this.dir = dir.toAbsolutePath();
    Path models = Files.createDirectories(dir.resolve("models"));
    SyntheticModel.write(models.resolve("ggml-" + MODEL + ".bin"), SyntheticModel.Spec.tiny());
    Files.createDirectories(audioDir());
    for (int i = 0; i < members; i++) {
      memberPorts.add(freePort());
    }
    env.put("EARSHOT_CLUSTER", "true");
    env.put("EARSHOT_CLUSTER_NAME", name);
    env.put("EARSHOT_CLUSTER_HOST", "127.0.0.1");
    env.put("EARSHOT_CLUSTER_MEMBERS", memberPorts.stream().map(p -> "127.0.0.1:" + p)
        .collect(Collectors.joining(",")));
    env.put("EARSHOT_EVENTBUS_HOST", "127.0.0.1");
    env.put("EARSHOT_DATA_DIR", dir.resolve("data").toString());
    env.put("JOBS_DB_URL", storeUrl);
    env.put("EARSHOT_MODELS_DIR", models.toString());
    env.put("EARSHOT_DEFAULT_MODEL", MODEL);
    env.put("EARSHOT_ALLOWED_ROOTS", audioDir().toString());
    env.put("EARSHOT_DOWNLOAD_ALLOW_PRIVATE", "127.0.0.1");
    env.put("EARSHOT_API_KEY", API_KEY);
    env.put("EARSHOT_HTTP_HOST", "127.0.0.1");
    env.put("EARSHOT_HTTP_INSTANCES", "1");
    env.put("JOBS_POLL_INTERVAL_MS", "500");
    env.put("JOBS_SHUTDOWN_GRACE_SECONDS", "5");
    // SyntheticModel.QUICK, one thread per job: random weights make whisper.cpp's default fallbacks slow
    env.put("WHISPER_THREADS", "1");
    env.put("WHISPER_BEAM_SIZE", "1");
    env.put("WHISPER_BEST_OF", "1");
    env.put("WHISPER_TEMPERATURE", "0");
    env.put("WHISPER_TEMPERATURE_INC", "0.4");
    env.putAll(overrides);
  }

  /** Every node started from now on reads {@code conf} as its {@code --conf} file (settings env cannot give). */
  public LocalCluster withConf(io.vertx.core.json.JsonObject conf) throws IOException {
    Path file = Files.writeString(dir.resolve("conf.json"), conf.encodePrettily());
    args.clear();
    args.addAll(List.of("--conf", file.toString()));
    return this;
  }

  /** A JDBC connection to the cluster's Postgres job store (for tests that count rows). */
  public java.sql.Connection jdbc() throws java.sql.SQLException {
    String url = env.get("JOBS_DB_URL"); // postgresql://user@host:port/db
    String rest = url.substring(url.indexOf("://") + 3);
    String user = rest.substring(0, rest.indexOf('@'));
    return java.sql.DriverManager.getConnection("jdbc:postgresql://" + rest.substring(rest.indexOf('@') + 1)
        + "?user=" + user);
  }

  public Path audioDir() {
    return dir.resolve("audio");
  }

  public Path logDir() {
    return dir.resolve("logs");
  }

  public String name() {
    return name;
  }

  /** Starts a node with {@code roles} (e.g. {@code "api,scheduler"}) and {@code extra} settings over the shared ones. */
  public NodeProcess start(String nodeName, String roles, Map<String, String> extra) throws IOException {
    Map<String, String> nodeEnv = new LinkedHashMap<>(env);
    nodeEnv.put("EARSHOT_ROLES", roles);
    nodeEnv.put("EARSHOT_CLUSTER_PORT", Integer.toString(memberPort()));
    nodeEnv.put("EARSHOT_EVENTBUS_PORT", Integer.toString(freePort()));
    nodeEnv.putAll(extra);
    NodeProcess node = NodeProcess.start(nodeName, nodeEnv, freePort(), logDir(), args);
    nodes.add(node);
    return node;
  }

  /** {@code node}, killed, started again with the same settings and ports. */
  public NodeProcess restart(NodeProcess node) throws IOException {
    NodeProcess again = node.restart();
    nodes.add(again);
    return again;
  }

  public NodeProcess start(String nodeName, String roles) throws IOException {
    return start(nodeName, roles, Map.of());
  }

  /** The test JVM as a member that runs no role: its event bus sees every event the nodes publish. */
  public synchronized Vertx observer() throws Exception {
    if (observer == null) {
      EarshotConfig.Cluster c = new EarshotConfig.Cluster(true, name, List.of(env.get("EARSHOT_CLUSTER_MEMBERS")
          .split(",")), false, "127.0.0.1", memberPort(), null, "127.0.0.1", freePort(), null, Duration.ofSeconds(
          Long.parseLong(env.getOrDefault("EARSHOT_CLUSTER_MEMBER_TIMEOUT_SECONDS", "6"))), Duration.ofSeconds(10), null);
      observer = Vertx.builder().with(new VertxOptions().setEventBusOptions(HazelcastSettings.eventBus(c)))
          .withClusterManager(new HazelcastClusterManager(HazelcastSettings.hazelcast(c)))
          .buildClustered().await(Deadlines.WAIT.toMillis() * 2, TimeUnit.MILLISECONDS);
    }
    return observer;
  }

  private synchronized int memberPort() {
    if (nextMember >= memberPorts.size()) {
      throw new IllegalStateException("this cluster was made for " + memberPorts.size() + " members");
    }
    return memberPorts.get(nextMember++);
  }

  public List<NodeProcess> nodes() {
    return List.copyOf(nodes);
  }

  @Override
  public void close() throws Exception {
    nodes.forEach(NodeProcess::destroy);
    if (observer != null) {
      observer.close().await(30, TimeUnit.SECONDS);
    }
  }

  private static final java.util.Random PORTS = new java.util.Random();
  private static final Set<Integer> HANDED_OUT = java.util.concurrent.ConcurrentHashMap.newKeySet();

  /**
   * A port that is free now, below the kernel's ephemeral range (32768 and up): a port the OS hands out for a bind
   * to port 0 or an outgoing connection could otherwise take one chosen here before its node binds it.
   */
  public static int freePort() throws IOException {
    for (int i = 0; i < 1000; i++) {
      int port = 20_000 + PORTS.nextInt(12_000);
      if (!HANDED_OUT.add(port)) {
        continue;
      }
      try (ServerSocket s = new ServerSocket(port, 1, java.net.InetAddress.getLoopbackAddress())) {
        s.setReuseAddress(true);
        return port;
      } catch (IOException taken) {
        // try another
      }
    }
    throw new IOException("no free port found between 20000 and 32000");
  }
}

package earshot.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hazelcast.config.Config;
import earshot.config.ConfigException;
import earshot.config.ConfigLoader;
import earshot.config.EarshotConfig;
import io.vertx.core.eventbus.EventBusOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A node's cluster settings come from env alone, over the bundled Hazelcast file or one of the operator's. */
class HazelcastSettingsTest {
  @TempDir
  Path dir;

  @Test
  void offByDefaultWithTheDefaultsTheIssueAsksFor() {
    EarshotConfig.Cluster c = ConfigLoader.load(new String[0], Map.of()).cluster();
    assertFalse(c.enabled());
    assertEquals(Duration.ofSeconds(6), c.memberTimeout(), "a dead member is dropped within 10 s");
    assertEquals(Duration.ofSeconds(10), c.busTimeout());
    assertTrue(ConfigLoader.load(new String[] {"--cluster"}, Map.of()).cluster().enabled());
    assertTrue(ConfigLoader.load(new String[0], Map.of("EARSHOT_CLUSTER", "true")).cluster().enabled());
  }

  @Test
  void joinsByTcpIpMemberListWithTheVertxMapsBackedUpOnce() {
    EarshotConfig.Cluster c = ConfigLoader.load(new String[0], Map.of("EARSHOT_CLUSTER", "true",
        "EARSHOT_CLUSTER_MEMBERS", "10.0.0.1:5701, 10.0.0.2:5701", "EARSHOT_CLUSTER_NAME", "prod",
        "EARSHOT_CLUSTER_PORT", "5801", "EARSHOT_CLUSTER_MEMBER_TIMEOUT_SECONDS", "8")).cluster();
    Config hz = HazelcastSettings.hazelcast(c);
    assertEquals("prod", hz.getClusterName());
    assertEquals(5801, hz.getNetworkConfig().getPort());
    assertTrue(hz.getNetworkConfig().getJoin().getTcpIpConfig().isEnabled());
    assertFalse(hz.getNetworkConfig().getJoin().getMulticastConfig().isEnabled());
    assertEquals(List.of("10.0.0.1:5701", "10.0.0.2:5701"), hz.getNetworkConfig().getJoin().getTcpIpConfig().getMembers());
    assertEquals("8", hz.getProperty("hazelcast.max.no.heartbeat.seconds"));
    assertEquals("false", hz.getProperty("hazelcast.shutdownhook.enabled"), "Earshot leaves the cluster itself");
    assertEquals(1, hz.getMultiMapConfig("__vertx.subs").getBackupCount());
    assertEquals(1, hz.getMapConfig("__vertx.haInfo").getBackupCount());
    assertEquals(1, hz.getMapConfig("__vertx.nodeInfo").getBackupCount());
  }

  @Test
  void multicastIsOptInAndAddressesComeFromTheEnvironment() {
    EarshotConfig.Cluster c = ConfigLoader.load(new String[0], Map.of("EARSHOT_CLUSTER_MULTICAST", "true",
        "EARSHOT_CLUSTER_HOST", "127.0.0.1", "EARSHOT_CLUSTER_PUBLIC_HOST", "node-a.example",
        "EARSHOT_EVENTBUS_HOST", "0.0.0.0", "EARSHOT_EVENTBUS_PORT", "5802",
        "EARSHOT_EVENTBUS_PUBLIC_HOST", "node-a.example")).cluster();
    Config hz = HazelcastSettings.hazelcast(c);
    assertTrue(hz.getNetworkConfig().getJoin().getMulticastConfig().isEnabled());
    assertFalse(hz.getNetworkConfig().getJoin().getTcpIpConfig().isEnabled());
    assertEquals(List.of("127.0.0.1"), List.copyOf(hz.getNetworkConfig().getInterfaces().getInterfaces()));
    assertEquals("node-a.example", hz.getNetworkConfig().getPublicAddress());
    EventBusOptions bus = HazelcastSettings.eventBus(c);
    assertEquals("0.0.0.0", bus.getHost());
    assertEquals(5802, bus.getPort());
    assertEquals("node-a.example", bus.getClusterPublicHost());
    EventBusOptions unset = HazelcastSettings.eventBus(ConfigLoader.load(new String[0], Map.of()).cluster());
    assertNull(unset.getClusterPublicHost(), "left to Vert.x: the address Hazelcast picked");
    assertEquals(0, unset.getPort());
  }

  @Test
  void anOperatorsFileReplacesTheBundledOneAndABrokenOneStopsStartUp() throws Exception {
    Path file = Files.writeString(dir.resolve("hz.xml"), """
        <hazelcast xmlns="http://www.hazelcast.com/schema/config">
          <cluster-name>theirs</cluster-name>
          <map name="audit"><backup-count>2</backup-count></map>
        </hazelcast>""");
    EarshotConfig.Cluster c = ConfigLoader.load(new String[0], Map.of("EARSHOT_CLUSTER_CONFIG", file.toString()))
        .cluster();
    Config hz = HazelcastSettings.hazelcast(c);
    assertEquals(2, hz.getMapConfig("audit").getBackupCount());
    assertEquals("earshot", hz.getClusterName(), "EARSHOT_CLUSTER_NAME (default earshot) still applies");
    Path broken = Files.writeString(dir.resolve("broken.xml"), "<hazelcast><network><port>x</port>");
    ConfigException e = assertThrows(ConfigException.class, () -> HazelcastSettings.hazelcast(
        ConfigLoader.load(new String[0], Map.of("EARSHOT_CLUSTER_CONFIG", broken.toString())).cluster()));
    assertTrue(e.getMessage().contains("cluster.config_file"), e.getMessage());
    assertThrows(ConfigException.class, () -> ConfigLoader.load(new String[0],
        Map.of("EARSHOT_CLUSTER_MEMBERS", "a b;c")));
  }
}

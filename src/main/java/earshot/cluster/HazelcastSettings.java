package earshot.cluster;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.config.XmlConfigBuilder;
import earshot.config.ConfigException;
import earshot.config.EarshotConfig;
import io.vertx.core.eventbus.EventBusOptions;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.util.List;

/**
 * The Hazelcast and event-bus settings of a clustered node, from {@link EarshotConfig.Cluster}: the bundled
 * {@code conf/cluster.xml} (or {@code cluster.config_file}), with the node's own settings applied over it, so that
 * a container is configured by environment alone.
 *
 * <p>Addresses: Hazelcast binds to {@code cluster.host} when set (else to every interface) and tells the others
 * {@code cluster.public_host}; the event bus listens on {@code cluster.eventbus_host}:{@code cluster.eventbus_port}
 * and tells the others {@code cluster.eventbus_public_host}. Left unset, Vert.x uses the address Hazelcast picked for
 * both, which is right on one network; in a container behind NAT the public hosts must be set. Two traps, documented
 * in the README: an event-bus host of 127.0.0.1 inside a container is refused by the other nodes (vert.x #3229), and
 * forcing {@code InetAddress.getLocalHost()} breaks on Kubernetes (vert.x #5194), so nothing here does.
 */
public final class HazelcastSettings {
  private static final String BUNDLED = "/conf/cluster.xml";

  private HazelcastSettings() {}

  /** The Hazelcast configuration of this node. */
  public static Config hazelcast(EarshotConfig.Cluster c) {
    Config hz = load(c);
    hz.setClusterName(c.name());
    NetworkConfig net = hz.getNetworkConfig();
    net.setPort(c.port());
    JoinConfig join = net.getJoin();
    join.getMulticastConfig().setEnabled(c.multicast());
    join.getTcpIpConfig().setEnabled(!c.multicast());
    if (!c.multicast()) {
      // No members: this node starts the cluster alone and the others join it.
      join.getTcpIpConfig().setMembers(List.copyOf(c.members()));
    }
    if (c.host() != null) {
      net.getInterfaces().setEnabled(true).setInterfaces(List.of(literal(c.host(), "cluster.host")));
      hz.setProperty("hazelcast.socket.bind.any", "false");
    }
    if (c.publicHost() != null) {
      net.setPublicAddress(c.publicHost());
    }
    hz.setProperty("hazelcast.max.no.heartbeat.seconds",
        Long.toString(Math.max(1, c.memberTimeout().toSeconds())));
    return hz;
  }

  /** The event bus's own TCP server: host, port and the address announced to the other nodes. */
  public static EventBusOptions eventBus(EarshotConfig.Cluster c) {
    EventBusOptions bus = new EventBusOptions().setPort(c.eventBusPort());
    if (c.eventBusHost() != null) {
      bus.setHost(c.eventBusHost());
    }
    if (c.eventBusPublicHost() != null) {
      bus.setClusterPublicHost(c.eventBusPublicHost());
    }
    return bus;
  }

  private static Config load(EarshotConfig.Cluster c) {
    try (InputStream in = c.configFile() != null ? Files.newInputStream(c.configFile())
        : HazelcastSettings.class.getResourceAsStream(BUNDLED)) {
      if (in == null) {
        throw new ConfigException("cluster.config_file", "the bundled conf/cluster.xml is missing from the jar");
      }
      return new XmlConfigBuilder(in).build();
    } catch (IOException e) {
      throw new ConfigException("cluster.config_file", "cannot read " + c.configFile() + ": " + e.getMessage());
    } catch (RuntimeException e) {
      // Hazelcast's InvalidConfigurationException and parser errors
      throw new ConfigException("cluster.config_file", (c.configFile() == null ? BUNDLED : c.configFile())
          + " is not a valid Hazelcast configuration: " + e.getMessage());
    }
  }

  /** Hazelcast's interface list takes IP addresses (or wildcards), so a host name is resolved here, once. */
  private static String literal(String host, String key) {
    if (host.matches("[0-9.*-]+") || host.contains(":")) {
      return host;
    }
    try {
      return InetAddress.getByName(host).getHostAddress();
    } catch (UnknownHostException e) {
      throw new ConfigException(key, "cannot resolve '" + host + "': " + e.getMessage());
    }
  }
}

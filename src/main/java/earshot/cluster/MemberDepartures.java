package earshot.cluster;

import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import earshot.bus.Addresses;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells this node's verticles when a cluster member leaves: {@link Addresses#MEMBER_LEFT}, published locally. Vert.x's
 * own node listener is the cluster manager's only one, so this adds a Hazelcast membership listener beside it.
 *
 * <p>Threading: Hazelcast calls the listener on its own event thread; publishing on the event bus is thread-safe,
 * and each consumer runs on its verticle's context.
 */
public final class MemberDepartures {
  private static final Logger LOG = LoggerFactory.getLogger(MemberDepartures.class);

  private MemberDepartures() {}

  /** Starts publishing departures of {@code cluster}'s members on {@code vertx}'s bus, for this node only. */
  public static void publish(Vertx vertx, HazelcastClusterManager cluster) {
    DeliveryOptions local = new DeliveryOptions().setLocalOnly(true);
    cluster.getHazelcastInstance().getCluster().addMembershipListener(new MembershipListener() {
      @Override
      public void memberAdded(MembershipEvent event) {
        // a new member brings its own consumers; nothing waits on it
      }

      @Override
      public void memberRemoved(MembershipEvent event) {
        LOG.info("cluster member {} left", event.getMember().getAddress());
        vertx.eventBus().publish(Addresses.MEMBER_LEFT,
            new JsonObject().put("member", event.getMember().getUuid().toString()), local);
      }
    });
  }
}

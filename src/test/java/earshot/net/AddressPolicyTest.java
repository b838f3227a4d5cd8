package earshot.net;

import earshot.jobs.PermanentStageException;
import static earshot.testsupport.Await.await;
import static earshot.testsupport.Await.awaitFailure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.vertx.core.Future;
import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The address policy and URL parsing on their own: no network, names answered by a fixed resolver. */
class AddressPolicyTest {

  static InetAddress ip(String literal) {
    return InetAddress.ofLiteral(literal);
  }

  @Test
  void classifiesInternalAddresses() {
    for (String s : List.of("127.0.0.1", "127.255.0.9", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.0.1",
        "169.254.1.1", "169.254.169.254", "100.64.0.1", "100.127.255.255", "0.0.0.0", "0.1.2.3", "224.0.0.251",
        "239.1.1.1", "255.255.255.255", "192.0.0.170", "::", "::1", "fc00::1", "fd12:3456::1", "fd00:ec2::254",
        "fe80::1", "ff02::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "::127.0.0.1",
        "64:ff9b::a00:1", "2002:a00:1::1", "2002:7f00:1::")) {
      assertNotNull(AddressPolicy.restriction(ip(s)), s);
    }
    assertEquals("cloud metadata", AddressPolicy.restriction(ip("169.254.169.254")));
    assertEquals("cloud metadata", AddressPolicy.restriction(ip("fd00:ec2::254")));
    assertEquals("carrier-grade NAT", AddressPolicy.restriction(ip("100.64.0.1")));
  }

  @Test
  void publicAddressesPass() {
    for (String s : List.of("8.8.8.8", "1.1.1.1", "172.32.0.1", "172.15.255.255", "100.128.0.1", "100.63.255.255",
        "169.253.1.1", "93.184.216.34", "2606:4700:4700::1111", "2a00:1450:4001::200e", "::ffff:8.8.8.8",
        "64:ff9b::808:808")) {
      assertNull(AddressPolicy.restriction(ip(s)), s);
    }
  }

  @Test
  void allowListsByCidrAddressOrHostName() {
    AddressPolicy policy = new AddressPolicy(List.of("127.0.0.1/32", "10.0.0.0/8", "::1", "fd00::/8",
        "minio.internal"));
    assertEquals(ip("127.0.0.1"), policy.choose("127.0.0.1", List.of(ip("127.0.0.1"))));
    assertEquals(ip("10.200.3.4"), policy.choose("files", List.of(ip("10.200.3.4"))));
    policy.choose("v6", List.of(ip("::1"), ip("fd00:1::5")));
    policy.choose("mapped", List.of(ip("::ffff:127.0.0.1")));
    policy.choose("MINIO.internal.", List.of(ip("192.168.7.7")));
    assertThrows(PermanentStageException.class, () -> policy.choose("x", List.of(ip("127.0.0.2"))));
    assertThrows(PermanentStageException.class, () -> policy.choose("x", List.of(ip("169.254.169.254"))));
    assertThrows(PermanentStageException.class, () -> policy.choose("x", List.of(ip("fe80::1"))));
  }

  @Test
  void oneForbiddenAddressAmongManyRefusesTheHost() {
    AddressPolicy policy = new AddressPolicy(List.of());
    PermanentStageException e = assertThrows(PermanentStageException.class,
        () -> policy.choose("mixed.example", List.of(ip("93.184.216.34"), ip("10.0.0.1"))));
    assertEquals("refusing to download from mixed.example: it resolves to 10.0.0.1, a private address",
        e.getMessage());
  }

  @Test
  void badAllowListEntriesAreRejected() {
    assertThrows(IllegalArgumentException.class, () -> new AddressPolicy(List.of("10.0.0.0/33")));
    assertThrows(IllegalArgumentException.class, () -> new AddressPolicy(List.of("10.0.0/8x")));
    assertThrows(IllegalArgumentException.class, () -> new AddressPolicy(List.of("::1/129")));
  }

  @Test
  void readsIpv4SpellingsTheWayBrowsersDo() {
    for (String s : List.of("2130706433", "0x7f.1", "0177.0.0.1", "017700000001", "127.1", "0x7f000001")) {
      assertEquals(ip("127.0.0.1"), UrlGuard.literal(s), s);
    }
    assertNull(UrlGuard.literal("example.com"));
    assertNull(UrlGuard.literal("1.2.3.example"));
    assertThrows(PermanentStageException.class, () -> UrlGuard.literal("1.2.3.999"));
    assertThrows(PermanentStageException.class, () -> UrlGuard.literal("08.1.1.1"));
  }

  @Test
  void pinsTheValidatedAddressAndKeepsTheHostName() {
    UrlGuard guard = new UrlGuard(new AddressPolicy(List.of()));
    InetAddress published = ip("93.184.216.34");
    UrlGuard.Target t = await(guard.check("https://Media.Example.com/a/b.mp3?x=1#frag",
        host -> Future.succeededFuture(List.of(published))));
    assertEquals("media.example.com", t.host());
    assertEquals(443, t.port());
    assertEquals("/a/b.mp3?x=1", t.requestUri());
    assertSame(published, t.address());
    assertEquals("93.184.216.34", t.server().host());
    assertEquals(443, t.server().port());
  }

  @Test
  void aNameThatResolvesInsideIsRefused() {
    UrlGuard guard = new UrlGuard(new AddressPolicy(List.of()));
    Throwable e = awaitFailure(guard.check("http://rebind.example/a.mp3",
        host -> Future.succeededFuture(List.of(ip("169.254.169.254")))));
    assertInstanceOf(PermanentStageException.class, e);
  }

  @Test
  void resolvesRelativeRedirects() {
    java.net.URI base = java.net.URI.create("http://h.example/dir/page?q=1");
    assertEquals("http://h.example/dir/x.mp3", UrlGuard.resolveRedirect(base, "x.mp3"));
    assertEquals("http://h.example/x.mp3", UrlGuard.resolveRedirect(base, "/x.mp3"));
    assertEquals("http://h.example/x.mp3", UrlGuard.resolveRedirect(base, "../x.mp3"));
    assertEquals("https://o.example/y", UrlGuard.resolveRedirect(base, "https://o.example/y"));
    assertEquals("http://o.example/z", UrlGuard.resolveRedirect(base, "//o.example/z"));
    assertThrows(PermanentStageException.class, () -> UrlGuard.resolveRedirect(base, "http://a b/"));
  }
}

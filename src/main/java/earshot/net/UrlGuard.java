package earshot.net;

import earshot.jobs.PermanentStageException;
import earshot.jobs.RetryableStageException;
import io.vertx.core.Future;
import io.vertx.core.net.SocketAddress;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;

/**
 * Turns a user-supplied URL (the job's, or a redirect's) into a {@link Target} that may be fetched: http or https
 * only, no userinfo, a host whose every resolved address the {@link AddressPolicy} allows. The target carries the
 * validated address, and the caller connects to exactly that address, so a DNS answer that changes between the check
 * and the connection (rebinding) cannot redirect the request. Parsing is pure; name resolution goes through the
 * {@link HostResolver} the caller supplies (a worker thread in production), so nothing here blocks an event loop.
 */
public final class UrlGuard {

  /** Resolves a host name to all its addresses, off the event loop. */
  @FunctionalInterface
  public interface HostResolver {
    Future<List<InetAddress>> resolve(String host);
  }

  /**
   * A URL cleared for fetching. {@code host} and {@code port} are the URL's (for the Host header and TLS SNI and
   * certificate checks); {@code address} is where to connect.
   */
  public record Target(URI uri, boolean ssl, String host, int port, String requestUri, InetAddress address) {
    public SocketAddress server() {
      return SocketAddress.inetSocketAddress(port, address.getHostAddress());
    }
  }

  /** The URL's parts before resolution; {@code literal} is set when the host is an IP address. */
  record Parsed(URI uri, boolean ssl, String host, int port, String requestUri, InetAddress literal) {}

  private final AddressPolicy policy;

  public UrlGuard(AddressPolicy policy) {
    this.policy = policy;
  }

  /** Checks {@code url}; fails with a {@link PermanentStageException} when it may not be fetched. */
  public Future<Target> check(String url, HostResolver resolver) {
    Parsed p;
    try {
      p = parse(url);
    } catch (PermanentStageException e) {
      return Future.failedFuture(e);
    }
    Future<List<InetAddress>> addresses = p.literal() != null
        ? Future.succeededFuture(List.of(p.literal()))
        : resolver.resolve(p.host()).recover(e -> Future.failedFuture(e instanceof UnknownHostException
            ? new RetryableStageException("host " + p.host() + " does not resolve", e)
            : e));
    return addresses.map(list -> new Target(p.uri(), p.ssl(), p.host(), p.port(), p.requestUri(),
        policy.choose(p.host(), list)));
  }

  /** Resolves a redirect's {@code Location} against the URL that answered with it. */
  public static String resolveRedirect(URI base, String location) {
    try {
      return base.resolve(new URI(location.trim())).toString();
    } catch (URISyntaxException | IllegalArgumentException e) {
      throw new PermanentStageException("redirect to a malformed URL: " + location);
    }
  }

  static Parsed parse(String url) {
    if (url == null || url.isBlank()) {
      throw new PermanentStageException("no URL to download");
    }
    URI uri;
    try {
      uri = new URI(url.trim());
    } catch (URISyntaxException e) {
      throw new PermanentStageException("malformed URL '" + url + "': " + e.getReason());
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      throw new PermanentStageException("only http and https URLs can be downloaded, got '"
          + (scheme.isEmpty() ? url : scheme + ":") + "'");
    }
    String authority = uri.getRawAuthority();
    if (authority == null || authority.isEmpty()) {
      throw new PermanentStageException("malformed URL '" + url + "': no host");
    }
    if (uri.getRawUserInfo() != null || authority.contains("@")) {
      throw new PermanentStageException("URLs with credentials (user@host) are refused");
    }
    boolean ssl = scheme.equals("https");
    String host = uri.getHost();
    int port = uri.getPort();
    if (host == null) {
      // java.net.URI's RFC 2396 grammar rejects IPv4 spellings that browsers and inet_aton accept (0x7f.1):
      // split the authority ourselves and accept it only if it is such an address.
      int colon = authority.lastIndexOf(':');
      host = colon < 0 ? authority : authority.substring(0, colon);
      port = colon < 0 ? -1 : port(authority.substring(colon + 1), url);
      if (host.startsWith("[") || literal(host) == null) {
        throw new PermanentStageException("malformed URL '" + url + "': no valid host");
      }
    }
    host = AddressPolicy.normalHost(host);
    port = port == -1 ? (ssl ? 443 : 80) : port;
    String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
    String requestUri = uri.getRawQuery() == null ? path : path + "?" + uri.getRawQuery();
    InetAddress literal = literal(host);
    return new Parsed(uri, ssl, literal == null ? host : literal.getHostAddress(), port, requestUri, literal);
  }

  private static int port(String digits, String url) {
    if (!digits.matches("[0-9]{1,5}") || Integer.parseInt(digits) > 65535 || Integer.parseInt(digits) == 0) {
      throw new PermanentStageException("malformed URL '" + url + "': bad port");
    }
    return Integer.parseInt(digits);
  }

  /**
   * The address an IP-literal host means, or null for a host name. IPv4 is read the way inet_aton and browsers
   * read it (decimal, octal and hex parts, 1 to 4 of them: {@code 2130706433} and {@code 0x7f.1} are 127.0.0.1), so
   * such spellings are judged by the address they reach. A host whose last label is numeric but is no valid
   * address (e.g. {@code 1.2.3.999}) is refused rather than sent to DNS.
   */
  static InetAddress literal(String host) {
    if (host.contains(":")) {
      try {
        return InetAddress.ofLiteral(host);
      } catch (IllegalArgumentException e) {
        throw new PermanentStageException("malformed IPv6 address '" + host + "'");
      }
    }
    String last = host.substring(host.lastIndexOf('.') + 1);
    if (!last.matches("[0-9]+|0[xX][0-9a-fA-F]*")) {
      return null;
    }
    try {
      return Inet4Address.ofPosixLiteral(host);
    } catch (IllegalArgumentException e) {
      throw new PermanentStageException("malformed IPv4 address '" + host + "'");
    }
  }
}

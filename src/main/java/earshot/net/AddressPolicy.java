package earshot.net;

import earshot.jobs.PermanentStageException;
import earshot.jobs.RetryableStageException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Which network addresses a download or a webhook may connect to: only publicly routable unicast ones, unless the
 * host name or the address is on the operator's {@code allow_private} list (host names, or CIDRs such as
 * {@code 127.0.0.1/32}). Guards against server-side request forgery towards loopback, private networks and cloud
 * metadata endpoints. A refusal says which of the two was refused ({@link Use}). Immutable and pure (no I/O, no
 * DNS): safe on any thread.
 */
public final class AddressPolicy {
  /** What the connection is for, so that a refusal names it and, for webhooks, the setting that allows it. */
  public enum Use {
    /** A job's audio {@code url} (and its redirects). */
    DOWNLOAD,
    /** A job's {@code callback_url}; allowed by the same {@code audio.download.allow_private} list. */
    WEBHOOK
  }

  private final Set<String> allowedHosts = new HashSet<>();
  private final List<Cidr> allowedRanges = new ArrayList<>();
  private final Use use;

  /** A policy for downloads. @throws IllegalArgumentException as {@link #AddressPolicy(List, Use)} */
  public AddressPolicy(List<String> allowPrivate) {
    this(allowPrivate, Use.DOWNLOAD);
  }

  /** @throws IllegalArgumentException for an entry that looks like a CIDR or address but is not a valid one */
  public AddressPolicy(List<String> allowPrivate, Use use) {
    this.use = use;
    for (String raw : allowPrivate) {
      String entry = raw.trim();
      if (entry.isEmpty()) {
        continue;
      }
      if (entry.contains("/") || entry.contains(":") || entry.matches("[0-9.]+")) {
        allowedRanges.add(Cidr.parse(entry));
      } else {
        allowedHosts.add(normalHost(entry));
      }
    }
  }

  /**
   * The address to connect to: the first of {@code addresses}, after checking that every one of them is allowed
   * (one forbidden address is enough to refuse, so a name cannot mix a public and a private answer).
   *
   * @throws PermanentStageException naming the host, the address and why it is refused
   */
  public InetAddress choose(String host, List<InetAddress> addresses) {
    if (addresses.isEmpty()) {
      throw new RetryableStageException("host " + host + " resolved to no address");
    }
    if (!allowedHosts.contains(normalHost(host))) {
      for (InetAddress address : addresses) {
        String restriction = restriction(address);
        if (restriction != null && !inAllowedRange(address)) {
          throw new PermanentStageException(refusal(host, address, restriction));
        }
      }
    }
    return addresses.getFirst();
  }

  private String refusal(String host, InetAddress address, String restriction) {
    String why = ": it resolves to " + address.getHostAddress() + ", a " + restriction + " address";
    return switch (use) {
      case DOWNLOAD -> "refusing to download from " + host + why;
      case WEBHOOK -> "refusing to send the webhook to callback_url host " + host + why + "; to allow it, list the"
          + " host or its address in audio.download.allow_private (EARSHOT_DOWNLOAD_ALLOW_PRIVATE)";
    };
  }

  boolean inAllowedRange(InetAddress address) {
    byte[] bytes = canonical(address);
    return allowedRanges.stream().anyMatch(c -> c.contains(bytes));
  }

  /** Null for a publicly routable unicast address, otherwise what kind of address it is. */
  public static String restriction(InetAddress address) {
    byte[] b = canonical(address);
    return b.length == 4 ? restriction4(b) : restriction6(b);
  }

  private static String restriction4(byte[] b) {
    int a0 = b[0] & 0xff;
    int a1 = b[1] & 0xff;
    if (a0 == 0) {
      return "unspecified ('this network')";
    }
    if (a0 == 127) {
      return "loopback";
    }
    if (a0 == 10 || (a0 == 172 && (a1 & 0xf0) == 16) || (a0 == 192 && a1 == 168)) {
      return "private";
    }
    if (a0 == 100 && (a1 & 0xc0) == 64) {
      return "carrier-grade NAT";
    }
    if (a0 == 169 && a1 == 254) {
      return (b[2] & 0xff) == 169 && (b[3] & 0xff) == 254 ? "cloud metadata" : "link-local";
    }
    if (a0 == 192 && a1 == 0 && b[2] == 0) {
      return "IETF protocol assignment";
    }
    if (a0 == 198 && (a1 & 0xfe) == 18) {
      return "benchmarking";
    }
    if ((a0 & 0xf0) == 224) {
      return "multicast";
    }
    if ((a0 & 0xf0) == 240) {
      return "reserved or broadcast";
    }
    return null;
  }

  private static String restriction6(byte[] b) {
    if (isZero(b, 0, 16)) {
      return "unspecified";
    }
    if (isZero(b, 0, 15) && b[15] == 1) {
      return "loopback";
    }
    if (Arrays.equals(b, METADATA_V6)) {
      return "cloud metadata";
    }
    int b0 = b[0] & 0xff;
    int b1 = b[1] & 0xff;
    if ((b0 & 0xfe) == 0xfc) {
      return "private (unique local)";
    }
    if (b0 == 0xfe && (b1 & 0xc0) == 0x80) {
      return "link-local";
    }
    if (b0 == 0xfe && (b1 & 0xc0) == 0xc0) {
      return "site-local";
    }
    if (b0 == 0xff) {
      return "multicast";
    }
    // Forms that carry an IPv4 address are judged by that address: IPv4-compatible ::/96, NAT64 64:ff9b::/96
    // and 6to4 2002::/16 (IPv4-mapped ::ffff:0:0/96 is already unwrapped by canonical()).
    if (isZero(b, 0, 12) || startsWith(b, NAT64_PREFIX)) {
      String embedded = restriction4(Arrays.copyOfRange(b, 12, 16));
      return embedded == null ? null : embedded + " (embedded in IPv6)";
    }
    if (b0 == 0x20 && b1 == 0x02) {
      String embedded = restriction4(Arrays.copyOfRange(b, 2, 6));
      return embedded == null ? null : embedded + " (embedded in 6to4)";
    }
    return null;
  }

  private static final byte[] METADATA_V6 = bytes6("fd00:ec2::254");
  private static final byte[] NAT64_PREFIX = Arrays.copyOf(bytes6("64:ff9b::"), 12);

  /** The address's bytes, with IPv4-mapped IPv6 ({@code ::ffff:a.b.c.d}) unwrapped to its 4 IPv4 bytes. */
  static byte[] canonical(InetAddress address) {
    byte[] b = address.getAddress();
    if (b.length == 16 && isZero(b, 0, 10) && (b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff) {
      return Arrays.copyOfRange(b, 12, 16);
    }
    return b;
  }

  static String normalHost(String host) {
    String h = host.toLowerCase(Locale.ROOT);
    if (h.startsWith("[") && h.endsWith("]")) {
      h = h.substring(1, h.length() - 1);
    }
    return h.endsWith(".") ? h.substring(0, h.length() - 1) : h;
  }

  private static boolean isZero(byte[] b, int from, int to) {
    for (int i = from; i < to; i++) {
      if (b[i] != 0) {
        return false;
      }
    }
    return true;
  }

  private static boolean startsWith(byte[] b, byte[] prefix) {
    return Arrays.equals(b, 0, prefix.length, prefix, 0, prefix.length);
  }

  private static byte[] bytes6(String literal) {
    return Inet6Address.ofLiteral(literal).getAddress();
  }

  /** An address range; IPv4-mapped IPv6 entries are kept as IPv4 so they match what {@link #canonical} yields. */
  record Cidr(byte[] network, int prefix) {
    static Cidr parse(String entry) {
      int slash = entry.indexOf('/');
      String ip = slash < 0 ? entry : entry.substring(0, slash);
      InetAddress address;
      try {
        address = InetAddress.ofLiteral(ip);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("allow_private entry '" + entry + "' is not an IP address or CIDR");
      }
      byte[] bytes = canonical(address);
      int max = bytes.length * 8;
      int prefix;
      try {
        prefix = slash < 0 ? max : Integer.parseInt(entry.substring(slash + 1));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("allow_private entry '" + entry + "' has a bad prefix length");
      }
      if (address instanceof Inet6Address && bytes.length == 4 && slash >= 0) {
        prefix -= 96;
      }
      if (prefix < 0 || prefix > max) {
        throw new IllegalArgumentException("allow_private entry '" + entry + "' has a bad prefix length");
      }
      return new Cidr(bytes, prefix);
    }

    boolean contains(byte[] candidate) {
      if (candidate.length != network.length) {
        return false;
      }
      int full = prefix / 8;
      if (!Arrays.equals(candidate, 0, full, network, 0, full)) {
        return false;
      }
      int rest = prefix % 8;
      if (rest == 0) {
        return true;
      }
      int mask = (0xff << (8 - rest)) & 0xff;
      return (candidate[full] & mask) == (network[full] & mask);
    }
  }
}

package earshot.jobs;

import java.security.SecureRandom;
import java.util.UUID;

/**
 * Job UUIDs in the time-ordered layout of RFC 9562 version 7: 48 bits of Unix milliseconds, then 74 random bits.
 * Jobs' {@code uuid} column has a unique index; random (version 4) UUIDs land on a random leaf page of it, so a
 * batch of n submissions dirtied about n index pages and wrote them all to the WAL at commit. Time-ordered ones are
 * appended next to each other. The other 74 bits come from SecureRandom (a version 4 UUID has 122), which keeps them
 * unique and hard to guess; they are identifiers, not secrets (a job is only shown to its owner), and they reveal
 * the creation time, which a job's {@code created_at} shows anyway.
 *
 * <p>Threading: thread-safe (SecureRandom is).
 */
public final class JobUuids {
  private static final SecureRandom RANDOM = new SecureRandom();

  private JobUuids() {}

  public static UUID next() {
    return at(System.currentTimeMillis());
  }

  static UUID at(long unixMillis) {
    byte[] r = new byte[10];
    RANDOM.nextBytes(r);
    long high = (unixMillis & 0xFFFF_FFFF_FFFFL) << 16 | 0x7000L | ((r[0] & 0x0FL) << 8) | (r[1] & 0xFFL);
    long low = 0x8000_0000_0000_0000L | ((r[2] & 0x3FL) << 56);
    for (int i = 3; i < 10; i++) {
      low |= (r[i] & 0xFFL) << (8 * (9 - i));
    }
    return new UUID(high, low);
  }
}

package earshot.store;

import earshot.testsupport.Databases;

class SqliteQuotaStoreTest extends QuotaStoreContract {
  @Override
  Databases.Kind kind() {
    return Databases.Kind.SQLITE;
  }
}

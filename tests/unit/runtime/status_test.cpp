//===- status_test.cpp - Status strings and the thread-local message ------===//

#include "test_models.h"

#include <set>
#include <string>
#include <thread>

using namespace attnc_test;

namespace {

TEST(Status, EnumValuesAreTheAbi) {
  EXPECT_EQ(ATTNC_OK, 0);
  EXPECT_EQ(ATTNC_ERR_INVALID_ARGUMENT, 1);
  EXPECT_EQ(ATTNC_ERR_NULL_POINTER, 2);
  EXPECT_EQ(ATTNC_ERR_SHAPE_MISMATCH, 3);
  EXPECT_EQ(ATTNC_ERR_DTYPE_MISMATCH, 4);
  EXPECT_EQ(ATTNC_ERR_OUT_OF_MEMORY, 5);
  EXPECT_EQ(ATTNC_ERR_DEVICE, 6);
  EXPECT_EQ(ATTNC_ERR_UNSUPPORTED, 7);
  EXPECT_EQ(ATTNC_ERR_INTERNAL, 8);
  EXPECT_EQ(ATTNC_F32, 0);
  EXPECT_EQ(ATTNC_F16, 1);
  EXPECT_EQ(ATTNC_BF16, 2);
  EXPECT_EQ(ATTNC_I32, 3);
}

TEST(Status, StringsAreDistinctAndReadable) {
  EXPECT_STREQ(attnc_status_string(ATTNC_OK), "ok");
  EXPECT_STREQ(attnc_status_string(ATTNC_ERR_INVALID_ARGUMENT), "invalid argument");
  EXPECT_STREQ(attnc_status_string(ATTNC_ERR_NULL_POINTER), "null pointer");
  EXPECT_STREQ(attnc_status_string(ATTNC_ERR_SHAPE_MISMATCH), "shape mismatch");
  EXPECT_STREQ(attnc_status_string(ATTNC_ERR_DTYPE_MISMATCH), "dtype mismatch");
  EXPECT_STREQ(attnc_status_string(ATTNC_ERR_OUT_OF_MEMORY), "out of memory");
  EXPECT_STREQ(attnc_status_string(ATTNC_ERR_DEVICE), "device error");
  EXPECT_STREQ(attnc_status_string(ATTNC_ERR_UNSUPPORTED), "unsupported");
  EXPECT_STREQ(attnc_status_string(ATTNC_ERR_INTERNAL), "internal error");
  std::set<std::string> seen;
  for (int s = ATTNC_OK; s <= ATTNC_ERR_INTERNAL; ++s)
    seen.insert(attnc_status_string(static_cast<attnc_status>(s)));
  EXPECT_EQ(seen.size(), 9u);
}

TEST(Status, UnknownValues) {
  EXPECT_STREQ(attnc_status_string(static_cast<attnc_status>(9)), "unknown status");
  EXPECT_STREQ(attnc_status_string(static_cast<attnc_status>(-1)), "unknown status");
}

TEST(LastError, NeverNull) { EXPECT_NE(attnc_last_error(), nullptr); }

TEST(LastError, IsPerThread) {
  Model m = addMulModel();
  int64_t negative[2] = {-7, 1};
  ASSERT_EQ(m.outputElements(negative, 0), 0u);
  const std::string mine = attnc_last_error();
  ASSERT_NE(mine.find("dim B is -7"), std::string::npos);

  std::string otherInitially, otherAfter;
  std::thread other([&] {
    otherInitially = attnc_last_error();
    int64_t dims[2] = {1, -9};
    m.outputElements(dims, 0);
    otherAfter = attnc_last_error();
  });
  other.join();
  EXPECT_EQ(otherInitially, "") << "a new thread sees another thread's error";
  EXPECT_NE(otherAfter.find("dim S is -9"), std::string::npos);
  EXPECT_EQ(std::string(attnc_last_error()), mine) << "another thread's error leaked here";
}

TEST(LastError, LongMessagesAreTruncatedSafely) {
  const std::string longName(5000, 'q');
  ModelBuilder b("long");
  Expr N = b.dim("N");
  b.input(longName, ATTNC_F32, {N}).output("y", ATTNC_F32, {N});
  Model m = b.build();
  int64_t dims[1] = {3};
  const void *inputs[1] = {nullptr};
  float y[3];
  void *outputs[1] = {y};
  EXPECT_EQ(m.run(recordingEntry, dims, inputs, nullptr, outputs), ATTNC_ERR_NULL_POINTER);
  std::string message = attnc_last_error();
  EXPECT_EQ(message.rfind("input 'qqq", 0), 0u);
  EXPECT_LT(message.size(), 2048u);
}

} // namespace

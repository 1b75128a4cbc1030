-- A spec that fails on purpose: the Go tests check its report (line numbers matter).
describe("failing fixture", function()
  it("passes", function()
    assert.are.equal(1, 1)
  end)

  it("compares frames", function()
    local got = { "hi", "text" }
    assert.are.same({ "hi", "binary" }, got)
  end)

  it("raises an error", function()
    local t = nil
    return t.field
  end)

  pending("is not written yet")

  it("#slow waits", function()
    ngx.sleep(0.01)
  end)
end)

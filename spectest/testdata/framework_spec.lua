-- The framework's own behaviour, checked from Lua: every test here must pass.
local order = {}

describe("hooks", function()
  setup(function() order[#order + 1] = "setup" end)
  teardown(function() order[#order + 1] = "teardown" end)
  before_each(function() order[#order + 1] = "before" end)
  after_each(function() order[#order + 1] = "after" end)

  it("first", function()
    order[#order + 1] = "first"
    finally(function() order[#order + 1] = "finally" end)
  end)

  context("nested", function()
    before_each(function() order[#order + 1] = "inner before" end)
    it("second", function() order[#order + 1] = "second" end)
  end)
end)

describe("after the hooks", function()
  it("ran them in busted's order", function()
    assert.are.same({ "setup", "before", "first", "after", "finally",
                      "before", "inner before", "second", "after", "teardown" }, order)
  end)
end)

insulate("insulate", function()
  it("hides globals set inside", function()
    insulated_global = 1
  end)
end)

expose("expose", function()
  exposed_global = 2
end)

describe("after insulate and expose", function()
  it("has no insulated globals and keeps exposed ones", function()
    assert.is_nil(insulated_global)
    assert.are.equal(2, exposed_global)
  end)
end)

describe("assertions", function()
  it("negate with not/no", function()
    assert.are_not.equal(1, 2)
    assert.is_not.same({ 1 }, { 2 })
    assert.has_no.errors(function() end)
    assert.is_not_true(false)
    assert.not_nil(0)
  end)

  it("has_error matches the message without its position", function()
    assert.has_error(function() error("boom") end, "boom")
    assert.error_matches(function() error("boom 42") end, "boom %d+")
    assert.has_error(function() error({ code = 1 }) end, { code = 1 })
  end)

  it("fail with a message and a position", function()
    local ok, err = pcall(function() assert.are.equal(1, 2) end)
    assert.is_false(ok)
    assert.matches("framework_spec.lua:%d+: Expected objects to be equal.", tostring(err))
  end)

  it("know types, near, truthy, falsy, unique", function()
    assert.is_string("s")
    assert.is_number(1)
    assert.is_table({})
    assert.is_function(print)
    assert.is_boolean(false)
    assert.is.near(3.14, math.pi, 0.01)
    assert.truthy(0)
    assert.falsy(false)
    assert.is_unique({ 1, 2, 3 })
    assert(true, "plain assert works")
  end)
end)

describe("spies and stubs", function()
  local obj = { greet = function(self, name) return "hi " .. name end }

  it("spy.on records calls and keeps behaviour", function()
    local s = spy.on(obj, "greet")
    assert.are.equal("hi bob", obj:greet("bob"))
    assert.spy(s).was.called(1)
    assert.spy(s).was.called_with(obj, "bob")
    assert.spy(s).was.called_with(match._, match.is_string())
    assert.spy(s).was_not.called_with(obj, "alice")
    assert.spy(s).returned_with("hi bob")
  end)

  it("spy.on is reverted after the test", function()
    assert.is_false(spy.is_spy(obj.greet))
  end)

  it("stub replaces and returns given values", function()
    local s = stub(obj, "greet", "stubbed")
    assert.are.equal("stubbed", obj:greet("x"))
    assert.stub(s).was.called_at_least(1)
    s:revert()
    assert.are.equal("hi x", obj:greet("x"))
  end)

  it("spy.new wraps a function", function()
    local s = spy.new(function(a, b) return a + b end)
    assert.are.equal(3, s(1, 2))
    assert.spy(s).was.called_with(1, 2)
    assert.spy(s).was_not.called(2)
  end)
end)

describe("pending inside a test", function()
  it("ends the test as pending", function()
    pending("not yet")
    error("not reached")
  end)
end)

describe("the fake socket", function()
  it("hands out scripted bytes and errors", function()
    local sock = luaws.fake_socket { "ab", "cd", { err = "timeout" } }
    assert.are.equal("abc", sock:receive(3))
    assert.are.same({ nil, "timeout", "d" }, { sock:receive(2) })
    assert.are.same({ nil, "closed", "" }, { sock:receive(1) })
    assert.are.equal(3, sock:send("xyz"))
    assert.are.equal("xyz", sock:sent_data())
    assert.are.equal("81 02", luaws.tohex(luaws.hex "8102"))
  end)
end)
